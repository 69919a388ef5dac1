/* global __cc_prefs_css */
/* prefs.js: the preferences dialog and the visitor's data panel, loaded on demand.
 *
 * An ES module the first layer imports when the visitor opens the preferences (or points at the
 * button). It receives what it needs of the first layer explicitly, and the full texts of the
 * visitor's language.
 */
import {PREFIX} from "./dom.js";
import {request} from "./server.js";

/**
 * @param {Object<string, any>} shared  The first layer's helpers (banner.js `shared`).
 * @param {Object<string, any>} texts   Every text of the visitor's language.
 */
export default function install(shared, texts) {
  const cc = shared._cc;
  const config = cc._config;
  const el = shared._el;
  const button = shared._button;
  const api = cc._api;
  let returnFocus = null;

  function visitorUrl(suffix) {
    return cc._siteApi + "/consents/" + encodeURIComponent(cc._visitorId()) + (suffix || "");
  }

  function toggle(id, attribute, name, describedBy) {
    return el("input", {
      type: "checkbox", role: "switch", id, class: "switch", "aria-describedby": describedBy,
      [attribute]: name,
    });
  }

  function serviceRow(service, categorySwitch) {
    const text = texts.services[service.name] || {title: service.name, description: ""};
    const id = "svc-" + service.name;
    const input = toggle(id, "data-service-switch", service.name, id + "-desc");
    input.setAttribute("data-category", service.category);
    input.addEventListener("change", () => {
      // The category is on while any of its services is.
      categorySwitch.checked = Array.prototype.some.call(
        dialog.querySelectorAll("[data-service-switch][data-category='" + service.category + "']"),
        (node) => node.checked);
    });
    if (categorySwitch.disabled) {
      input.checked = true;
      input.disabled = true;
    }
    return el("li", {class: "svc"}, [
      el("div", {class: "cat-head"}, [el("label", {for: id, class: "svc-title"}, text.title), input]),
      text.description ? el("p", {id: id + "-desc", class: "text small"}, text.description) : null,
    ]);
  }

  function categoryRow(name) {
    const locked = name === "essential";
    const text = texts.categories[name] || {title: name, description: ""};
    const id = "cat-" + name;
    const input = toggle(id, "data-category-switch", name, id + "-desc");
    if (locked) {
      input.checked = true;
      input.disabled = true;
    }
    const own = config.services.filter((service) => service.category === name);
    const list = own.length
      ? el("ul", {class: "services"}, own.map((service) => serviceRow(service, input))) : null;
    input.addEventListener("change", () => {
      if (list) list.querySelectorAll("[data-service-switch]").forEach((node) => {
        node.checked = input.checked;
      });
    });
    return el("li", {class: "cat"}, [
      el("div", {class: "cat-head"}, [
        el("label", {for: id, class: "cat-title"}, text.title),
        locked ? el("span", {class: "always"}, texts.always_on) : null,
        input,
      ]),
      el("p", {id: id + "-desc", class: "text small"}, text.description),
      list,
    ]);
  }

  function choices(attribute) {
    const out = {};
    dialog.querySelectorAll("[" + attribute + "]").forEach((input) => {
      if (!input.disabled) out[input.getAttribute(attribute)] = input.checked;
    });
    return out;
  }

  /** The visitor's rights: see the history, download it, get a receipt, erase it. */
  function yourData() {
    const history = el("ol", {class: "history small", "data-role": "history-list", hidden: ""});
    const status = el("p", {class: "text small", role: "status"});
    const actions = el("div", {class: "rights-actions"}, [
      button("history", texts.history, () => {
        request("GET", visitorUrl("/history")).then((data) => {
          history.textContent = "";
          (data.events || []).forEach((event) => {
            const allowed = Object.keys(event.categories).filter((name) => event.categories[name]);
            history.appendChild(el("li", null, event.recorded_at.replace("T", " ").slice(0, 16) +
              " · " + event.action + " · " + allowed.join(", ")));
          });
          history.hidden = false;
        }, () => { status.textContent = texts.error; });
      }, "linkbtn"),
      el("a", {class: "link", "data-role": "export", download: "consent-data.json"}, texts.export),
      el("a", {class: "link", "data-role": "receipt", target: "_blank", rel: "noopener"},
        texts.receipt),
      button("erase", texts.erase, () => {
        if (!window.confirm(texts.erase_confirm)) return;
        api.erase().then(() => {
          history.hidden = true;
          syncRights();
          // The record and its links are gone; the section stays to say so.
          section.hidden = false;
          actions.hidden = true;
          status.textContent = texts.erased;
          // The focused control just disappeared; the dialog keeps the keyboard.
          dialog.focus();
        }, () => { status.textContent = texts.error; });
      }, "linkbtn"),
    ]);
    const section = el("div", {class: "rights", "data-role": "your-data"}, [
      el("h3", {class: "subtitle"}, texts.your_data), actions, history, status,
    ]);
    return section;
  }

  function syncRights() {
    const section = dialog.querySelector("[data-role='your-data']");
    const visitor = cc._visitorId();
    section.hidden = !visitor;
    if (!visitor) return;
    // A new record after an erasure gets its links back.
    section.querySelector("." + PREFIX + "-rights-actions").hidden = false;
    section.querySelector("[role='status']").textContent = "";
    section.querySelector("[data-role='export']").href = visitorUrl("/export");
    section.querySelector("[data-role='receipt']").href = cc._base + "/receipt/" +
      encodeURIComponent(config.siteKey) + "/" + encodeURIComponent(visitor) + "?lang=" +
      encodeURIComponent(shared._language());
  }

  const dialog = el("div", {
    class: "prefs", role: "dialog", "aria-modal": "true", "aria-labelledby": "prefs-title",
    "aria-describedby": "prefs-desc", tabindex: "-1",
  }, [
    el("div", {class: "prefs-head"}, [
      el("h2", {id: "prefs-title", class: "title"}, texts.preferences_title),
      button("close", texts.close, () => close(true)),
    ]),
    el("div", {class: "prefs-body"}, [
      el("p", {id: "prefs-desc", class: "text"}, texts.preferences_description),
      cc._gpc ? el("p", {class: "text gpc", "data-role": "gpc-notice"}, texts.gpc_honored) : null,
      el("ul", {class: "cats"}, config.categories.map(categoryRow)),
      button("withdraw", texts.withdraw, () => shared._act(api.withdraw), "linkbtn"),
      yourData(),
    ]),
    el("div", {class: "foot"}, [
      el("div", {class: "actions"}, [
        button("reject-all", texts.reject_all, () => shared._act(api.rejectAll)),
        button("save", texts.save, () => shared._act(() =>
          api.save(choices("data-category-switch"), choices("data-service-switch")))),
        button("accept-all", texts.accept_all, () => shared._act(api.acceptAll)),
      ]),
      el("p", {class: "error", role: "alert"}),
    ]),
  ]);
  const overlay = el("div", {class: "overlay", hidden: ""}, dialog);
  overlay.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close(true);
    } else if (event.key === "Tab") {
      trapFocus(event);
    }
  });
  shared._styles(__cc_prefs_css);
  shared._root().appendChild(overlay);

  function focusables() {
    return Array.prototype.filter.call(
      dialog.querySelectorAll("button, a[href], input:not([disabled])"),
      (node) => node.offsetParent !== null);
  }

  /** Tab and Shift+Tab stay inside the dialog. */
  function trapFocus(event) {
    const items = focusables();
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === dialog)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  /** @param {boolean} restoreFocus  Back where the visitor was (the dialog closed itself). */
  function close(restoreFocus) {
    if (overlay.hidden) return;
    overlay.hidden = true;
    shared._sync();
    if (!restoreFocus) return;
    const banner = shared._banner();
    const reopen = shared._reopen();
    const target = returnFocus && document.contains(returnFocus) && returnFocus.offsetParent !== null
      ? returnFocus
      : banner.hidden ? reopen : banner.querySelector("[data-role='preferences']");
    returnFocus = null;
    if (target) target.focus();
  }

  return {
    _open: () => !overlay.hidden,
    _close: close,
    /** Switches and links follow the current state. */
    _sync() {
      dialog.querySelector("[data-role='withdraw']").hidden = !cc._get().decided;
      dialog.querySelectorAll("[data-role='gpc-notice']").forEach((node) => {
        node.hidden = !cc._gpcNotice();
      });
      syncRights();
    },
    /** @param {Element|null} opener */
    _show(opener) {
      returnFocus = opener && opener !== document.body && !overlay.contains(opener) ? opener : null;
      dialog.querySelectorAll("[data-category-switch]").forEach((input) => {
        if (!input.disabled) input.checked = cc._allowed(input.getAttribute("data-category-switch"));
      });
      dialog.querySelectorAll("[data-service-switch]").forEach((input) => {
        if (!input.disabled) {
          input.checked = cc._allowedService(input.getAttribute("data-service-switch"));
        }
      });
      dialog.querySelectorAll("." + PREFIX + "-error").forEach((node) => { node.textContent = ""; });
      overlay.hidden = false;
      this._sync();
      dialog.focus();
    },
  };
}
