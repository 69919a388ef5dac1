/* banner.js: the first layer, the "Cookie settings" control, and loading the preferences dialog.
 *
 * The widget's DOM lives in the host document (no shadow root), so privacy tools reach every
 * data-role hook with document.querySelector. Its IDs and classes start with "cookieconsent-",
 * and its stylesheet resets every property a host rule could set, so host styles up to
 * specificity (0,1,1) without !important leave it alone.
 *
 * The script carries the opt-in first layer's texts; the texts of other regimes, of the GPC
 * notice and of the preferences dialog come with the language's full text file when needed.
 */
/* global __cc_css */
import {PREFIX, el, safeHref} from "./dom.js";
import {request} from "./server.js";

// Languages written right to left; everything else is laid out left to right.
const RTL = ["ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb"];

// Where a tag without its own catalog goes (texts.py resolve_language): pt and zh are aliases,
// Chinese regions read the catalog of their script.
const NEAR = {pt: "pt-pt", zh: "zh-cn", "zh-hans": "zh-cn", "zh-sg": "zh-cn", "zh-my": "zh-cn",
  "zh-hant": "zh-tw", "zh-hk": "zh-tw", "zh-mo": "zh-tw"};

/**
 * The page's language, then the browser's, then the site's default; among the site's own.
 * A regional variant falls back to its script's or base language's catalog (pt-BR → pt-PT,
 * zh-HK → zh-TW), then to another variant of its language the site offers.
 * @param {import("./types.js").WidgetConfig} config
 */
function pickLanguage(config) {
  const wanted = [(config.preview || {}).language, document.documentElement.lang]
    .concat(navigator.languages || []);
  const offered = config.languages.map((language) => language.toLowerCase());
  for (const candidate of wanted) {
    const parts = String(candidate || "").toLowerCase().split(/[-_]/);
    const two = parts.slice(0, 2).join("-");
    const base = parts[0];
    for (const option of [parts.join("-"), NEAR[two], NEAR[base], base,
      offered.find((code) => code.split("-")[0] === base)]) {
      const found = offered.indexOf(option);
      if (option && found >= 0) return config.languages[found];
    }
  }
  return config.defaultLanguage;
}

/**
 * A constructed stylesheet passes a strict style-src; older browsers get a <style> with the nonce.
 * @param {string} css
 * @param {string} nonce
 */
function injectStyles(css, nonce) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat(sheet);
  } catch (error) {
    document.head.append(el("style", {nonce}, css));
  }
}

/**
 * @param {Object<string, any>} cc  What core.js shares with the UI (see its createUi call).
 */
export function createUi(cc) {
  const config = cc._config;
  const nonce = document.currentScript && document.currentScript.nonce;
  let language = pickLanguage(config);
  /** @type {Object<string, any>} */
  let texts = config.texts[language];
  let full = null;
  let root = null;
  let banner = null;
  let reopen = null;
  let rendered = "";
  // The visitor closed the first layer on this page (answered, Esc, hide()).
  let closed = false;
  // The page asked for the first layer with show(): it stays until answered or hidden.
  let forced = false;
  let prefs = null;
  let loading = null;
  let dock = null;
  /** The first layers beyond plain opt-in, and the room kept for them (layers.js), once here. */
  let layers = null;
  let layersLoading = null;

  /** Every text of the visitor's language, fetched once (a public, cacheable file). */
  function fullTexts() {
    if (!full) {
      // The digest versions the file, so the browser may keep it as long as the configuration.
      full = request("GET", cc._base + "/c/" + encodeURIComponent(config.siteKey) + "/texts/" +
        language + ".json?v=" + config.digest, null, {timeout: 3000}).then((loaded) => {
        // A preview's draft texts win over the live ones, which only fill in what it lacks.
        // A layer that needs more than the script carries waits for them (haveTexts), so the
        // one on screen need not be drawn again (nor its entrance played twice).
        texts = config.preview ? Object.assign({}, loaded, texts) : Object.assign({}, texts, loaded);
        return texts;
      });
      full.catch(() => { full = null; });
    }
    return full;
  }

  /** Every text, and the module that draws every first layer (layers.js), side by side. */
  function loadLayers() {
    if (!layersLoading) {
      layersLoading = Promise.all([fullTexts(), import(cc._module("layers"))]).then(([, module]) => {
        layers = module.default(shared);
      });
      layersLoading.catch(() => { layersLoading = null; });
    }
    return layersLoading;
  }

  /**
   * What the layer in force needs is here; else it is fetched and `sync` runs again. The script
   * carries only what the plain opt-in first layer needs.
   */
  const simple = () => cc._mode() === "opt-in" && !cc._reasked() && !cc._gpc;

  function haveTexts() {
    if (texts && (layers || simple())) return true;
    loadLayers().then(() => sync(), () => {});
    return false;
  }

  function button(role, text, onClick, kind) {
    const node = el("button", {type: "button", class: kind || "btn", "data-role": role}, text);
    node.addEventListener("click", () => {
      if (root.getAttribute("aria-busy") !== "true") onClick();
    });
    return node;
  }

  /** Runs a choice from a control: busy until its first answer; the core closes the layers. */
  function act(choice) {
    busy(true);
    choice().catch(() => {});
  }

  /** While a choice is on its way the controls say so and ignore further clicks. */
  function busy(on) {
    root.setAttribute("aria-busy", on);
  }

  function render() {
    const mode = cc._mode();
    const api = cc._api;
    const policy = safeHref(config.policyUrl);
    const link = policy && el("a", {href: policy, class: "link", target: "_blank", rel: "noopener"},
      texts.policy_link);
    const preferences = button("preferences", texts.preferences, showPreferences);
    // Pointing at or focusing the button starts loading the dialog before the click.
    preferences.addEventListener("pointerenter", loadPreferences);
    preferences.addEventListener("focus", loadPreferences);
    // Plain opt-in is drawn here; every other layer by layers.js.
    const parts = layers ? layers._parts(mode, texts, () => banner, preferences) : {
      _text: texts.description,
      _actions: [
        button("accept-all", texts.accept_all, () => act(api.acceptAll)),
        button("reject-all", texts.reject_all, () => act(api.rejectAll)),
        preferences,
      ],
    };
    const fresh = el("div", {
      class: "banner", role: "dialog", "aria-modal": "false", "aria-labelledby": "title",
      "aria-describedby": "desc", "data-role": "banner", "data-mode": mode, hidden: "",
    }, [
      el("div", {class: "body"}, [
        el("h2", {id: "title", class: "title"}, texts.title),
        parts._notice,
        parts._gpc,
        el("p", {id: "desc", class: "text"}, [parts._text + " ", !parts._own && link]),
      ]),
      el("div", {class: "foot"}, [
        parts._before,
        el("div", {class: parts._class || "actions"}, parts._actions),
        parts._after,
        // A layer whose text may scroll keeps the policy link in sight, beside its last control.
        parts._own && link,
        el("p", {class: "error", role: "alert"}),
      ]),
    ]);
    // Drawn again (with every text, or for another regime): the focus stays on its control.
    const focused = banner && banner.contains(document.activeElement) &&
      document.activeElement.getAttribute("data-role");
    if (banner) banner.replaceWith(fresh);
    else root.prepend(fresh);
    banner = fresh;
    const again = focused && fresh.querySelector("[data-role='" + focused + "']");
    if (again) again.focus();
    // Drawn without the layers module only as far as the script's own texts go: drawn again
    // once what the layer in force needs is here (haveTexts).
    rendered = layers || simple() ? mode + cc._reasked() : "";
  }

  function build() {
    if (root) return;
    // The site's palettes go over the built-in ones; the preview may force one of them.
    const design = config.design || {};
    const theme = (config.preview || {}).theme;
    const css = __cc_css + "#cookieconsent,#cookieconsent *{" + (design.c || "") +
      "}@media(prefers-color-scheme:dark){#cookieconsent,#cookieconsent *{" + (design.d || "") + "}}";
    injectStyles(theme ? css.split("(prefers-color-scheme:dark)").join(theme === "dark" ? " all" : " not all")
      : css, nonce);
    root = el("div", {
      class: "root " + (design.l || "box") + " " + (design.p || "bottom"), lang: language, dir: RTL.indexOf(language.split("-")[0]) < 0 ? "ltr" : "rtl",
    });
    root.id = PREFIX;
    reopen = button("reopen", texts.reopen, showPreferences, "reopen");
    reopen.addEventListener("pointerenter", loadPreferences);
    dock = el("div", {class: "dock"}, reopen);
    root.append(dock);
    render();
    document.body.prepend(root);
  }

  /**
   * Shows whichever layer the state calls for, drawn for the regime in force.
   * @param {boolean} [external]  The change came from another page or from the service.
   */
  function sync(external) {
    if (!root) return;
    if (external) closed = false;
    const ok = haveTexts();
    if (ok && rendered !== cc._mode() + cc._reasked()) render();
    const open = prefs && prefs._open();
    const answered = (cc._answered() || closed) && !forced;
    // Until the regime's texts are here, no layer of another regime is shown.
    banner.hidden = open || answered || !ok;
    reopen.hidden = dock.hidden = open || !answered;
    // Shown: layers.js keeps the room it needs on the page, and counts it.
    if (!banner.hidden && !layers) loadLayers().then(() => sync(), () => {});
    if (layers) layers._sync(texts, banner, dock);
    // The GPC notice speaks only while the opt-out stands: an explicit accept ends it.
    root.querySelectorAll("[data-role=gpc-notice]").forEach((node) => {
      node.hidden = !cc._gpcNotice();
    });
    if (prefs) prefs._sync();
  }

  /** After a choice took effect: close the layers, keep focus in the widget. */
  function settle() {
    if (!root) return;
    closed = true;
    forced = false;
    const hadFocus = root.contains(document.activeElement);
    if (prefs) prefs._close();
    sync();
    message();
    if (hadFocus && !reopen.hidden) reopen.focus();
  }

  function hide() {
    build();
    closed = true;
    forced = false;
    if (prefs) prefs._close();
    sync();
  }

  /** @param {"error"|"queued"} [kind] */
  function message(kind) {
    if (!root) return;
    busy(false);
    root.querySelectorAll("." + PREFIX + "-error").forEach((node) => {
      node.textContent = kind ? texts[kind] : "";
    });
  }

  /** Loads the preferences dialog and the full texts of the visitor's language, once. */
  function loadPreferences() {
    if (!loading) {
      loading = Promise.all([import(cc._module("prefs")), fullTexts()])
        .then(([module]) => (prefs = module.default(shared, texts)));
      loading.catch(() => { loading = null; });
    }
    return loading;
  }

  /** @param {string} [section]  "more": open at the section about the data and its processing. */
  function showPreferences(section) {
    build();
    busy(true);
    const opener = document.activeElement;
    loadPreferences().then((dialog) => {
      message();
      dialog._show(opener, section);
      sync();
    }, () => message("error"));
  }

  /** What the preferences module needs of the first layer. */
  const shared = {
    _cc: cc, _el: el, _button: button, _act: act, _sync: sync,
    _styles: (css) => injectStyles(css, nonce), _root: () => root, _banner: () => banner,
    _reopen: () => reopen, _language: () => language, _settle: settle,
    _showPreferences: showPreferences, _loadPreferences: loadPreferences, _hide: hide,
  };

  return {
    _build: build,
    _sync: sync,
    _message: message,
    _settle: settle,
    _hide: hide,
    _language: () => language,
    _showBanner() {
      build();
      closed = false;
      forced = true;
      if (prefs) prefs._close();
      message();
      sync();
    },
    _showPreferences: showPreferences,
    /**
     * Once the page is idle, fetch the dialog (cached for good): the visitor can open it, and
     * withdraw, even if the service cannot be reached later.
     */
    _prefetch() {
      const later = window.requestIdleCallback || setTimeout;
      later(() => loadPreferences().catch(() => {}), {timeout: 3000});
    },
    /** Before the first layer: texts for a language the script does not carry. */
    _loadTexts(done) {
      if (texts) return done();
      fullTexts().then(done, () => {
        language = config.defaultLanguage;
        texts = config.texts[language];
        done();
      });
    },
  };
}
