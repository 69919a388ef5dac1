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
    const marks = [
      tracked().indexOf(name) < 0 ? "" : texts.tracks_behaviour,
      cc._mode() === "opt-in-stats-exempt" && cc._statsOnly.indexOf(name) >= 0
        ? texts.statistics_exempt : "",
    ].filter(Boolean);
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
      el("p", {id: id + "-desc", class: "text small"}, [
        text.description,
        marks.length ? el("span", {class: "mark"}, marks.join(" · ")) : null,
      ]),
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
          const events = data.events || [];
          events.forEach((event) => {
            const allowed = Object.keys(event.categories).filter((name) => event.categories[name])
              .map((name) => (texts.categories[name] || {title: name}).title);
            history.appendChild(el("li", null, [
              el("time", {datetime: event.recorded_at}, localDate(event.recorded_at, true)),
              " · " + (texts["action_" + event.action] || event.action) +
              (allowed.length ? " · " + allowed.join(", ") : ""),
            ]));
          });
          if (!events.length) history.appendChild(el("li", null, texts.history_empty));
          history.hidden = false;
        }, () => { status.textContent = texts.error; });
      }, "linkbtn"),
      el("a", {class: "link", "data-role": "export", download: "consent-data.json"}, texts.export),
      el("a", {class: "link", "data-role": "receipt", target: "_blank", rel: "noopener"},
        texts.receipt),
      el("a", {class: "link", "data-role": "print-history", target: "_blank", rel: "noopener"},
        texts.print_history),
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

  /** A date (or date and time) as the visitor's language writes it. */
  function localDate(value, withTime) {
    const date = new Date(value);
    if (isNaN(date)) return String(value);
    try {
      return new Intl.DateTimeFormat(shared._language(), withTime
        ? {dateStyle: "medium", timeStyle: "short"} : {dateStyle: "long"}).format(date);
    } catch (error) {
      return date.toISOString().slice(0, withTime ? 16 : 10).replace("T", " ");
    }
  }

  /**
   * Purposes marked as tracking behaviour, sensitive data that runs only with specific consent:
   * said only where the regime is opt-in-specific, the only one where that claim holds (elsewhere
   * tracking may run before a choice: statistics under opt-in-stats-exempt, all under opt-out).
   */
  function tracked() {
    return cc._mode() === "opt-in-specific" ? config.behaviour || [] : [];
  }

  /** What is collected, why, the visitor's rights and whom to ask (Decree 356/2025/ND-CP). */
  function aboutData() {
    const controller = config.controller || {};
    const behaviour = tracked();
    const email = controller.dpoEmail || controller.email;
    const part = (title, body) => [el("h4", {class: "subtitle small"}, title), body];
    return el("section", {class: "rights", "data-role": "more-section"}, [
      el("h3", {id: "more-title", class: "subtitle", tabindex: "-1"}, texts.more_title),
      part(texts.data_types_title, el("p", {class: "text small"}, texts.data_types)),
      part(texts.purposes_title, el("ul", {class: "purposes small"}, config.categories.map((name) => {
        const text = texts.categories[name] || {title: name, description: ""};
        return el("li", null, [
          el("strong", null, text.title), " " + text.description,
          behaviour.indexOf(name) < 0 ? null : el("span", {class: "mark"}, texts.tracks_behaviour),
        ]);
      }))),
      behaviour.length ? el("p", {class: "text small"}, texts.sensitive_notice) : null,
      part(texts.rights_title, el("p", {class: "text small"}, texts.rights)),
      part(texts.contact_title, el("p", {class: "text small"}, [
        controller.name || null,
        controller.address ? el("br") : null, controller.address || null,
        email ? el("br") : null,
        email ? (texts.dpo_contact || "{email}").split("{email}").reduce((out, piece, index) =>
          out.concat(index ? [el("a", {class: "link", href: "mailto:" + email}, email), piece]
            : [piece]), []) : null,
      ].flat())),
    ].flat());
  }

  /** A request about the visitor's data (access, correction, …) to the site's service. */
  function requestForm() {
    const kinds = ["access", "correction", "deletion", "withdrawal", "restriction", "objection"];
    const field = (name, label, control) => el("p", {class: "field"}, [
      el("label", {for: "req-" + name}, label), control,
    ]);
    const kind = el("select", {id: "req-kind", name: "kind"}, kinds.map((value) =>
      el("option", {value}, texts["request_kind_" + value])));
    const email = el("input", {id: "req-email", name: "email", type: "email", autocomplete: "email"});
    const details = el("textarea", {id: "req-details", name: "details", rows: "3", maxlength: "2000"});
    const status = el("p", {class: "text small", role: "status", "data-role": "request-status"});
    const form = el("form", {class: "request", hidden: ""}, [
      el("p", {class: "text small"}, texts.request_intro),
      field("kind", texts.request_kind, kind),
      field("email", texts.request_email, email),
      field("details", texts.request_details, details),
      el("button", {type: "submit", class: "btn alt", "data-role": "request-submit"}, texts.request_submit),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = {kind: kind.value, language: shared._language()};
      if (cc._visitorId()) body.visitor_id = cc._visitorId();
      if (email.value.trim()) body.email = email.value.trim();
      if (details.value.trim()) body.details = details.value.trim();
      status.textContent = "";
      request("POST", cc._siteApi + "/requests", body).then((data) => {
        status.textContent = texts.request_sent.replace("{reference}", data.reference)
          .replace("{date}", localDate(data.acknowledge_by));
        form.hidden = true;
      }, (error) => {
        const errors = error.problem && error.problem.errors || {};
        status.textContent = texts.request_error + Object.keys(errors)
          .map((name) => " " + [].concat(errors[name]).join(" ")).join("");
      });
    });
    const open = button("requests", texts.requests, () => {
      form.hidden = !form.hidden;
      open.setAttribute("aria-expanded", !form.hidden);
      if (!form.hidden) kind.focus();
    }, "linkbtn");
    open.setAttribute("aria-expanded", "false");
    return el("section", {class: "rights", "data-role": "requests-section"}, [
      el("h3", {class: "subtitle"}, texts.request_title), open, form, status,
    ]);
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
    ["receipt", "history"].forEach((page) => {
      section.querySelector("[data-role='" + (page === "history" ? "print-history" : page) + "']")
        .href = cc._base + "/" + page + "/" + encodeURIComponent(config.siteKey) + "/" +
        encodeURIComponent(visitor) + "?lang=" + encodeURIComponent(shared._language());
    });
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
      cc._mode() === "opt-out"
        ? button("do-not-sell", texts.do_not_sell, () => shared._act(api.optOut), "linkbtn") : null,
      aboutData(),
      yourData(),
      requestForm(),
    ]),
    el("div", {class: "foot"}, [
      el("div", {class: "actions"}, [
        button("reject-all", texts.reject_all, () => shared._act(api.rejectAll)),
        button("save", texts.save, () => shared._act(() =>
          api.save(choices("data-category-switch"), choices("data-service-switch")))),
        button("accept-all", texts.accept_all, () => shared._act(api.acceptAll)),
        // Withdrawing is as easy as accepting: a button of the same size, once there is a choice.
        button("withdraw", texts.withdraw, () => shared._act(api.withdraw), "btn alt wide"),
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
      dialog.querySelectorAll("button, a[href], input:not([disabled]), select, textarea"),
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
    /**
     * @param {Element|null} opener
     * @param {string} [section]  "more": scrolled to the section about the data.
     */
    _show(opener, section) {
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
      const heading = dialog.querySelector("#" + PREFIX + "-more-title");
      if (section === "more") {
        heading.scrollIntoView({block: "start"});
        heading.focus();
      } else {
        dialog.focus();
      }
    },
  };
}
