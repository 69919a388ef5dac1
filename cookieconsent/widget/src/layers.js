/* global __cc_layers_css */
/* layers.js: the first layers of the regimes other than plain opt-in, loaded with their texts.
 *
 * The core script carries the opt-in first layer only (what every visitor sees until the region
 * is known). Where the region asks for another regime, its texts come with the language's full
 * text file, and this module, fetched beside it, draws what differs:
 * - opt-in-specific (Vietnam: Law 91/2025/QH15, Decree 356/2025/ND-CP, Art. 15): the text names
 *   the controller, a switch per non-essential category (all off), each marked when it tracks
 *   behaviour (sensitive data), and Reject all, Save choices, Accept all; "About your data" opens
 *   the dialog at the section on data types, purposes, rights and contact.
 * - opt-in-stats-exempt (UK, Data (Use and Access) Act 2025, PECR reg. 6 as amended): statistics
 *   run unless the visitor objects, in one click; marketing stays opt-in.
 * - opt-out (US state laws, CCPA § 1798.135): Do Not Sell or Share, one click.
 * - notice: a notice with a way to refuse.
 */

/**
 * @param {Object<string, any>} shared  The first layer's helpers (banner.js `shared`).
 */
export default function install(shared) {
  const cc = shared._cc;
  const config = cc._config;
  const el = shared._el;
  const button = shared._button;
  const act = shared._act;
  const api = cc._api;
  shared._styles(__cc_layers_css);

  /** A switch: a button that says whether it is on (role=switch, aria-checked), off at first. */
  function toggle(name, label) {
    const node = el("button", {
      type: "button", role: "switch", class: "switch", "aria-checked": "false",
      "aria-labelledby": label, "data-switch": name,
    });
    node.addEventListener("click", () => {
      node.setAttribute("aria-checked", node.getAttribute("aria-checked") !== "true");
    });
    return node;
  }

  /** The switches' states, every optional category named. */
  function switched(banner) {
    const chosen = {};
    banner.querySelectorAll("[data-switch]").forEach((node) => {
      chosen[node.getAttribute("data-switch")] = node.getAttribute("aria-checked") === "true";
    });
    return chosen;
  }

  /**
   * What changed in the policy, in the visitor's language or else the site's default language,
   * marked with the language it is written in (never another's lang).
   */
  function policyNotice(texts) {
    const all = config.policySummary;
    const language = shared._language();
    const [text, lang] = typeof all === "string" ? [all, config.defaultLanguage]
      : all && all[language] ? [all[language], language]
        : [all && all[config.defaultLanguage], config.defaultLanguage];
    return el("p", {class: "text policy", "data-role": "policy-updated"}, [
      texts.policy_updated + " ", text ? el("span", {lang, "data-role": "policy-summary"}, text) : null,
    ]);
  }

  /**
   * What the first layer of `mode` shows besides its title: a notice, its text, controls
   * before the choices, the choices, and one control after them.
   * @param {string} mode
   * @param {Object<string, any>} texts
   * @param {() => HTMLElement} banner  The first layer once drawn.
   * @param {HTMLElement} preferences  The "Preferences" button.
   */
  function parts(mode, texts, banner, preferences) {
    const behaviour = config.behaviour || [];
    const reject = button("reject-all", texts.reject_all, () => act(api.rejectAll));
    const accept = button("accept-all", texts.accept_all, () => act(api.acceptAll));
    const out = {
      _notice: cc._reasked() ? policyNotice(texts) : null,
      _gpc: cc._gpc ? el("p", {class: "text gpc", "data-role": "gpc-notice"}, texts.gpc_honored)
        : null,
      _text: (texts[mode === "opt-in" ? "description"
        : mode.replace(/^opt-in-/, "").replace(/-/g, "_") + "_description"] || "")
        .replace("{controller}", (config.controller || {}).name || location.hostname),
      _actions: [accept, reject, preferences],
    };
    if (mode === "opt-in-specific") {
      const more = button("more", texts.more, () => shared._showPreferences("more"), "linkbtn");
      more.addEventListener("pointerenter", shared._loadPreferences);
      // Where every purpose tracks behaviour, one caption says so for all of them (and each
      // switch's name still carries it); else each purpose that does is marked.
      const all = cc._optional.every((name) => behaviour.indexOf(name) >= 0);
      const mark = (name) => behaviour.indexOf(name) < 0 ? null
        : el("small", {id: "b-" + name, class: all ? "all" : null}, texts.tracks_behaviour);
      return Object.assign(out, {
        _before: el("div", {class: "toggles"}, [
          all ? mark(cc._optional[0]) : null,
          el("ul", null, cc._optional.map((name) => el("li", null, [
            toggle(name, "t-" + name +
              (behaviour.indexOf(name) < 0 ? "" : " b-" + (all ? cc._optional[0] : name))),
            el("span", {id: "t-" + name}, [
              (texts.categories[name] || {title: name}).title,
              all ? null : mark(name),
            ]),
          ]))),
        ]),
        // Reject all and Accept all alike, Save choices between them, outlined.
        _actions: [reject, button("save", texts.save, () => act(() => api.save(switched(banner()))),
          "btn alt"), accept],
        _class: "actions three",
        _after: more,
        // The text above may scroll on a phone: the policy link stays beside "more".
        _own: 1,
      });
    }
    if (mode === "opt-in-stats-exempt") {
      // One click: statistics off, every other choice as it stands.
      out._after = button("object-statistics", texts.object_statistics, () => act(() => api.save(
        cc._optional.reduce((chosen, name) => Object.assign(chosen, {
          [name]: cc._statsOnly.indexOf(name) < 0 && cc._allowed(name),
        }), {}))), "linkbtn");
    } else if (mode !== "opt-in") {
      out._actions = [button("dismiss", texts.dismiss, () => {
        cc._dismiss();
        shared._settle();
      }), preferences];
      out._after = mode === "opt-out"
        ? button("do-not-sell", texts.do_not_sell, () => act(api.optOut), "linkbtn")
        : button("reject-all", texts.reject_all, () => act(api.rejectAll), "linkbtn");
    }
    return out;
  }

  // --- room for the banner: focus is never hidden under it (WCAG 2.2, SC 2.4.11) -----------

  // After the page's content, so that its last elements can scroll clear of the banner.
  const spacer = el("div", {class: "room", "aria-hidden": "true"});
  document.body.append(spacer);
  let covering = null;

  /** The banner's box while it is shown at the bottom or top edge, else null. */
  function edge() {
    const root = shared._root();
    const banner = shared._banner();
    const box = banner.hidden || root.className.indexOf("center") >= 0 ? null
      : banner.getBoundingClientRect();
    return box && box.height && box.height < innerHeight / 2 ? box : null;
  }

  /**
   * While the banner is shown, the page keeps as much room as it takes: scrolling to an element
   * (scroll-padding, used by focus and anchors) and the end of the page (a spacer) stay clear.
   */
  function reserve() {
    const box = edge();
    const bottom = !!box && box.top > innerHeight / 3;
    const room = box ? Math.ceil(box.height) + 16 + "px" : "";
    const html = document.documentElement.style;
    html.scrollPaddingBottom = bottom ? room : "";
    html.scrollPaddingTop = box && !bottom ? room : "";
    spacer.style.height = bottom ? room : "";
    if (!spacer.isConnected) document.body.append(spacer);
  }

  // A host element that takes focus under the banner scrolls clear of it, whatever the
  // browser's own scrolling did.
  document.addEventListener("focusin", (event) => {
    const target = event.target;
    const box = edge();
    if (!box || shared._root().contains(target) || !target.getBoundingClientRect) return;
    const own = target.getBoundingClientRect();
    if (own.bottom > box.top && own.top < box.bottom) {
      scrollBy(0, box.top > innerHeight / 3 ? own.bottom - box.top + 8 : own.top - box.bottom - 8);
    }
  });
  addEventListener("resize", reserve);
  document.addEventListener("keydown", (event) => {
    const banner = shared._banner();
    if (event.key !== "Escape" || event.defaultPrevented || banner.hidden ||
        !shared._root().contains(document.activeElement)) return;
    // Esc closes the first layer for now; it consents to nothing.
    event.preventDefault();
    shared._hide();
    shared._reopen().focus();
  });

  return {
    _parts: parts,
    /**
     * After every change of the layers: the room kept, and Do Not Sell beside the reopen
     * control in opt-out regions (always one step away).
     */
    _sync(texts, banner, dock) {
      reserve();
      // "Banners shown": one beacon per page view (a keepalive POST without credentials, no
      // visitor ID), with the region and the language, which the service counts per day.
      if (!banner.hidden && cc._shown()) {
        const body = JSON.stringify({region: cc._get().region, language: shared._language()});
        fetch(cc._base + "/c/" + encodeURIComponent(config.siteKey) + "/shown", {
          method: "POST", body, keepalive: true, credentials: "omit", mode: "no-cors",
        }).catch(() => {});
      }
      if (covering) covering.disconnect();
      covering = window.ResizeObserver ? new ResizeObserver(reserve) : null;
      if (covering && !banner.hidden) covering.observe(banner);
      let dns = dock.querySelector("[data-role='do-not-sell']");
      if (!dns) {
        dns = button("do-not-sell", texts.do_not_sell, () => act(api.optOut), "reopen");
        dock.append(dns);
      }
      dns.hidden = cc._mode() !== "opt-out";
    },
  };
}
