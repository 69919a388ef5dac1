/* core.js: the visitor's state, the choices on their way to the service, window.cookieConsent.
 *
 * Preview (the console's live preview runs the real widget with a draft): the configuration's
 * `preview` is `true` or `{regime, language, theme}`. Then nothing is written or sent (no
 * stored record, no choice, no lookup, no "banner shown" beacon); `regime` (one of MODES, or a
 * rule name that starts with one of them, read by its longest prefix) is the
 * regime drawn without asking the service; `language` is shown when the site offers it, before
 * the page's and the browser's; `theme` "dark" or "light" forces that palette whatever the
 * visitor's system prefers (banner.js).
 *
 * "Banners shown": once per page view, when the first layer has been shown and the regime is
 * known, one beacon (a keepalive POST without credentials, no visitor ID) tells the service
 * the region and the language, which it counts per day; layers.js sends it, so it never holds
 * up the banner.
 *
 * Regimes (MODES, strictest first but for the order a preview reads them in): opt-in-specific
 * and opt-in run nothing but essential before a choice; opt-in-stats-exempt runs the
 * categories in `statsOnly` too until the visitor objects (a recorded choice that refuses
 * them); opt-out and notice run everything until refused.
 *
 * State has three layers, all in one stored record:
 * - what the service confirmed: a decision recorded for this site (v, d, c, s, p, t, e);
 * - choices not yet confirmed (q), sent one at a time in order, each with its own
 *   Idempotency-Key, kept until the service has them (at most 7 days);
 * - the regime where the visitor is (m, r, x), which decides what runs before any choice.
 * A refusal takes effect at once; a grant only once the service has recorded it.
 */
/* global __cc_config */
import {PREFIX, onReady, warn} from "./dom.js";
import {createStore} from "./store.js";
import {consentDefault, consentUpdate, pushEvent} from "./consent_mode.js";
import {request, serviceBase} from "./server.js";
import {createUi} from "./banner.js";

/**
 * The stored record. Short keys keep the cookie small:
 * u updated (ms), v visitor ID, d decided (1), c/s allowed categories/services as bits,
 * h layout the bits follow, p policy version decided under, t decided at, e expires at (ms),
 * k confirmed by the service at (ms), P site policy version then, g GPC recorded,
 * o opted out of sale and sharing, n notice dismissed, w withdrawn, m regime, r region,
 * x regime known until (ms), q choices waiting to be sent, R when the service recorded the
 * decision this record holds (ms), N how many times the decision changed (choices, answers).
 * @typedef {Object<string, any>} StoredRecord
 */

/** @type {import("./types.js").WidgetConfig} */
const config = __cc_config;
// Longest first: a preview's rule name is read by its prefix.
const MODES = ["opt-in-specific", "opt-in-stats-exempt", "opt-in", "opt-out", "notice"];
const STATS_EXEMPT = MODES[1];
// What an opt-out of sale and sharing (Do Not Sell, Global Privacy Control) refuses.
const OPT_OUT = "marketing";
const DAY_MS = 864e5;
const QUEUE_MAX = 4;

function start() {
  if (window.cookieConsent && window.cookieConsent.version) {
    warn("window.cookieConsent is already defined (a second copy of the widget?); not started");
    return;
  }
  const base = serviceBase(config.apiBase, document.currentScript);
  const siteApi = base + "/api/v1/sites/" + encodeURIComponent(config.siteKey);
  /** @param {"tags"|"prefs"} name */
  const moduleUrl = (name) => base + config.modules.replace("{}", name);
  const names = config.categories;
  const optional = names.filter((name) => name !== "essential");
  const serviceNames = config.services.map((service) => service.name);
  const categoryOf = {};
  config.services.forEach((service) => { categoryOf[service.name] = service.category; });
  // The bits of a record follow this layout; a changed configuration invalidates them.
  const layout = hash(optional + "|" + serviceNames);
  const store = createStore(config.siteKey, config.cookieDomain, config.lifetimeDays || 182);
  const gpc = navigator.globalPrivacyControl === true || config.gpc === true;
  const listeners = {ready: [], change: []};
  /** @type {StoredRecord} */
  let r = store._read() || {v: store._legacyVisitorId() || undefined};
  /** Promise handlers of the choices made on this page, by Idempotency-Key. */
  const waiting = {};
  let sending = false;
  let retryMs = 2000;
  let retryTimer = 0;
  let ready = false;
  let lastSignature = "";
  let lastSignals = "";

  const now = () => Date.now();
  const queue = () => r.q || (r.q = []);
  // Never longer than an hour ahead: a record promising more was not written by the widget.
  const regionKnown = () => r.x > now() && r.x <= now() + 36e5;
  const preview = config.preview || {};
  const forced = MODES.find((name) => String(preview.regime).indexOf(name) === 0);
  const mode = () => forced || (regionKnown() && MODES.indexOf(r.m) >= 0 ? r.m : "opt-in");
  // Nothing but essential runs before a choice (opt-in, opt-in-specific).
  const strict = () => mode() === "opt-in" || mode() === MODES[0];
  // Statistics that run unless the visitor objects (opt-in-stats-exempt).
  const statsOnly = config.statsOnly || [];
  const reasked = () => r.d === 1 && major(r.p) < major(config.policyVersion);
  /**
   * The service's decision still counts: a visitor ID, the same layout, not expired (nor
   * expiring later than the 13-month ceiling allows), and the current major policy version.
   */
  const decided = () => r.d === 1 && !!r.v && r.h === layout && r.e > now() &&
    r.e < now() + 396 * DAY_MS && !reasked();
  const flag = (list, names, name) => unbits(list, names.length)[names.indexOf(name)];

  /** A waiting choice's effect on one category: false when it refuses it. */
  function pendingAllows(entry, name) {
    if (entry.a === "reject_all" || entry.a === "withdraw") return false;
    if (entry.a === "opt_out") return name !== OPT_OUT;
    return entry.a !== "save" || flag(entry.c, optional, name);
  }

  /**
   * Opt-in: only what was chosen. Stats-exempt: statistics too until the visitor objects (a
   * choice that refuses them). Opt-out and notice: all until refused. Never against GPC.
   */
  function allowed(name) {
    if (name === "essential") return true;
    if (optional.indexOf(name) < 0 || (gpc && !r.g && name === OPT_OUT)) return false;
    if (!queue().every((entry) => pendingAllows(entry, name))) return false;
    if (decided()) return flag(r.c, optional, name);
    return !r.w && (mode() === STATS_EXEMPT ? statsOnly.indexOf(name) >= 0
      : !!mode().indexOf("opt-in")) &&
      !(r.o && name === OPT_OUT);
  }

  function allowedService(name) {
    return !!categoryOf[name] && allowed(categoryOf[name]) &&
      queue().every((entry) => entry.a !== "save" || flag(entry.s, serviceNames, name)) &&
      (!decided() || flag(r.s, serviceNames, name));
  }

  function map(list, fn) {
    const out = {};
    list.forEach((name) => { out[name] = fn(name); });
    return out;
  }

  /** A choice that allows something; it takes effect only once the service has it. */
  const isGrant = (entry) => entry.a !== "opt_out" &&
    optional.some((name) => pendingAllows(entry, name));

  /** The last waiting choice when it refuses (reject, withdraw, a save that allows nothing). */
  function refusing() {
    const last = queue()[queue().length - 1];
    return last && last.a !== "opt_out" && !isGrant(last) ? last : null;
  }

  /** @returns {import("./types.js").ConsentState} */
  function get() {
    const refusal = refusing();
    // A refusal applies at once: a withdrawal leaves the visitor undecided, others decided.
    const known = refusal ? refusal.a !== "withdraw" : decided();
    const confirmed = known && !refusal;
    return {
      visitorId: r.v || null, decided: known, categories: map(names, allowed),
      services: map(serviceNames, allowedService),
      policyVersion: confirmed ? r.p : config.policyVersion,
      decidedAt: confirmed ? iso(r.t) : null, expiresAt: confirmed ? iso(r.e) : null,
      pending: queue().length > 0, gpc, mode: mode(), region: regionKnown() && r.r || null,
      storage: store._kind(),
    };
  }

  /** What `change` compares: the state, without whether it is still on its way. */
  function signature() {
    const state = get();
    delete state.pending;
    delete state.storage;
    return JSON.stringify(state);
  }

  function emit(name) {
    const detail = get();
    listeners[name].slice().forEach((fn) => {
      try {
        fn(detail);
      } catch (error) {
        setTimeout(() => { throw error; });
      }
    });
    window.dispatchEvent(new CustomEvent(PREFIX + ":" + name, {detail}));
  }

  /** Writes the record and tells the site's other open pages. */
  function persist() {
    if (config.preview) return;
    r.u = Math.max(now(), (r.u || 0) + 1);
    store._write(r, decided() && !queue().length ? r.e : null);
    if (channel) channel.postMessage(r.u);
  }

  /**
   * Before changing the record, take up what another page of the site wrote meanwhile, so that
   * neither page's change is lost.
   */
  function fresh() {
    const stored = store._read();
    if (stored && stored.u !== r.u) r = stored;
  }

  /** Another page of this site changed the record: follow it. */
  function reload() {
    const record = store._read();
    if (!record || record.u === r.u) return;
    r = record;
    refresh(true);
  }

  /**
   * After any change: signals, clean-up, gated content, the visible layer and `change`.
   * @param {boolean} [external]  The change came from another page or from the service.
   */
  function refresh(external) {
    const categories = map(names, allowed);
    // Tag managers hear of every change of what may run, and of a decision being made.
    const signals = JSON.stringify(categories) + decided();
    if (signals !== lastSignals) {
      if (lastSignals || decided() || !strict()) consentUpdate(categories);
      lastSignals = signals;
      if (tags) tags._clean();
    }
    if (tags) tags._scan();
    if (ready) {
      ui._sync(external);
      const current = signature();
      if (current !== lastSignature) {
        lastSignature = current;
        emit("change");
      }
    }
  }

  /**
   * Adopt what the service answered about this visitor (a lookup or a recorded choice), unless
   * the record already holds a later answer (another page's, or a choice made since).
   * @param {Object<string, any>} data
   * @param {boolean} [current]  A lookup no page changed the record during: it stands as is.
   */
  function adopt(data, current) {
    const at = Date.parse(data.recorded_at) || 0;
    if (at < (r.R || 0) && !current) return;
    r.R = at;
    const yes = data.decided === true;
    Object.assign(r, {
      v: data.visitor_id, d: yes ? 1 : 0, h: layout,
      c: bits(optional.map((name) => yes && data.categories[name] === true)),
      s: bits(serviceNames.map((name) => yes && (data.services || {})[name] === true)),
      p: data.policy_version, t: Date.parse(data.decided_at) || 0,
      e: Date.parse(data.expires_at) || 0, k: now(), P: config.policyVersion,
    });
    if (yes) r.w = 0;
    r.N = (r.N || 0) + 1;
    // Confirmed for this browser session: the next pages need not ask.
    store._markSession();
  }

  // --- choices: queued, sent one at a time, retried until the service has them ------------

  /**
   * Records a choice. The Promise resolves once the service has it, stays pending while it
   * waits to be sent, and rejects when the service refuses it (4xx).
   * @param {string} action
   * @param {Object<string, boolean>|null} [chosen]  save: every optional category
   * @param {Object<string, boolean>|null} [chosenServices]
   * @param {string} [source]
   * @returns {Promise<import("./types.js").ConsentState>}
   */
  function choose(action, chosen, chosenServices, source) {
    fresh();
    r.N = (r.N || 0) + 1;
    const entry = {
      k: randomKey(), a: action, t: now(), h: layout, p: config.policyVersion, l: ui._language(),
      w: location.href.split(/[?#]/)[0].slice(0, 512), z: config.digest, g: gpc ? 1 : 0, o: source,
    };
    if (chosen) {
      entry.c = bits(optional.map((name) => chosen[name] === true));
      entry.s = bits(serviceNames.map((name) => chosen[categoryOf[name]] === true &&
        !(chosenServices && chosenServices[name] === false)));
    }
    // A double click, or the same call twice, is one choice; asking again retries it now.
    const last = queue()[queue().length - 1];
    if (last && waiting[last.k] && last.a === entry.a && last.c === entry.c &&
        last.s === entry.s && last.o === entry.o) {
      pump();
      return waiting[last.k]._promise;
    }
    if (queue().length >= QUEUE_MAX) settle(queue().splice(1, 1)[0], Error("superseded"));
    const handlers = {};
    handlers._promise = new Promise((resolve, reject) => {
      handlers._resolve = resolve;
      handlers._reject = reject;
    });
    waiting[entry.k] = handlers;
    queue().push(entry);
    if (action === "withdraw") r.w = 1;
    if (action === "opt_out" && source !== "gpc") r.n = 1;
    persist();
    refresh();
    // A refusal takes effect now: the layers close. A grant closes them once it is recorded.
    if (source !== "gpc" && !isGrant(entry)) ui._settle();
    pump();
    return handlers._promise;
  }

  /** The request body of a waiting choice: the same bytes on every retry. */
  function body(entry) {
    const out = {
      action: entry.a, policy_version: entry.p, language: entry.l, url: entry.w,
      gpc: entry.g === 1, config_digest: entry.z,
    };
    if (!entry.n) out.chosen_at = iso(entry.t);
    if (entry.v) out.visitor_id = entry.v;
    if (entry.o) out.source = entry.o;
    if (entry.a === "save") {
      out.categories = map(optional, (name) => flag(entry.c, optional, name));
      out.services = map(serviceNames, (name) => flag(entry.s, serviceNames, name));
    }
    return out;
  }

  function settle(entry, error) {
    const handlers = waiting[entry.k];
    delete waiting[entry.k];
    if (handlers) {
      if (error) handlers._reject(error);
      else handlers._resolve(get());
    }
  }

  function drop(entry, error) {
    const index = queue().indexOf(entry);
    if (index >= 0) queue().splice(index, 1);
    persist();
    refresh();
    settle(entry, error);
  }

  function pump() {
    const entry = queue()[0];
    if (sending || !entry || config.preview) return;
    if (entry.h !== layout || entry.t < now() - 7 * DAY_MS) {
      warn("dropped a choice that could not be sent within 7 days or no longer fits the site");
      drop(entry, Error("expired"));
      return pump();
    }
    // Every write of this browser goes under one visitor ID, fixed at the first attempt.
    if (!("v" in entry)) {
      entry.v = r.v || null;
      persist();
    }
    // Another page of the site may replace the record meanwhile: entries are known by their key.
    const key = entry.k;
    sending = true;
    clearTimeout(retryTimer);
    retryTimer = 0;
    const failed = (error) => {
      sending = false;
      fresh();
      const live = queue().find((item) => item.k === key);
      if (!live) return pump();
      const status = error.status;
      const errors = error.problem && error.problem.errors || {};
      if (status === 400 && live.v && errors.visitor_id || status === 422 && errors.chosen_at) {
        // The service no longer knows this ID (another site's, a retired key), or this device's
        // clock is far off: send it afresh, without them, under a new key (a key reused with
        // another body is refused).
        if (errors.visitor_id) {
          r.v = live.v = undefined;
          r.d = 0;
        } else {
          live.n = 1;
        }
        live.k = randomKey();
        waiting[live.k] = waiting[key];
        delete waiting[key];
        persist();
        return pump();
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        drop(live, error);
        if (live.o !== "gpc") ui._message("error");
        return pump();
      }
      // Unreachable, overloaded or failing: keep it and try again later, here or on a later page.
      if (live.o !== "gpc") ui._message("queued");
      retryTimer = setTimeout(pump, retryMs);
      retryMs = Math.min(retryMs * 2, 60000);
    };
    request("POST", siteApi + "/consents", body(entry), {key}).then((data) => {
      // Anything but the service's answer (a portal's page, a proxy's) is no answer.
      if (!valid(data)) return failed({status: 0});
      sending = false;
      retryMs = 2000;
      fresh();
      // A choice sent with Global Privacy Control on puts the signal on record too.
      if (entry.g === 1) r.g = 1;
      if (entry.a === "opt_out") r.o = 1;
      r.q = queue().filter((item) => item.k !== key);
      // The service's answer is the new base; choices still on their way apply on top of it
      // (a refusal at once, a grant once recorded).
      adopt(data);
      persist();
      refresh();
      settle(entry);
      if (entry.o !== "gpc" && !r.q.length) ui._settle();
      pump();
    }, failed);
  }

  /** The service's account of a visitor: a lookup or a recorded choice. */
  function valid(data) {
    return !!data && typeof data.visitor_id === "string" && typeof data.categories === "object";
  }

  /**
   * Once per browser session, when the site's policy version changed, or a day after the last
   * check: the service's decision replaces the stored one (a withdrawal or erasure made there).
   */
  function confirm() {
    const asked = r.v;
    // A decision under an older major policy version no longer counts: the banner asks again.
    if (!asked || config.preview || reasked()) return;
    // A check time in the future is no check: the record was written by something else.
    if (!store._newSession() && r.P === config.policyVersion && r.k > now() - DAY_MS &&
        r.k <= now() && r.h === layout) return;
    // A choice still waiting goes first; its answer is the service's decision.
    if (queue().length) return pump();
    const before = r.N;
    request("GET", siteApi + "/consents/" + encodeURIComponent(asked)).then((data) => {
      // A choice made since the question was asked, here or on another page, is newer.
      fresh();
      if (r.N !== before || queue().length || !valid(data)) return;
      adopt(data, true);
      persist();
      refresh(true);
    }, (error) => {
      fresh();
      if (error.status !== 400 || r.N !== before || queue().length) return;
      r.v = undefined;
      r.d = 0;
      persist();
      refresh(true);
    });
  }

  /** Asks the service for the regime; the script itself stays one cacheable file for all. */
  function learnRegion(done) {
    if (regionKnown() || forced) return done();
    const timer = setTimeout(done, 1500);
    const finish = () => {
      clearTimeout(timer);
      done();
    };
    request("GET", siteApi + "/region").then((data) => {
      fresh();
      Object.assign(r, {m: data.mode, r: data.region || undefined, x: now() + 36e5});
      if (r.v || !strict()) persist();
      refresh();
      finish();
    }, finish);
  }

  /** @type {import("./types.js").CookieConsentApi} */
  const api = {
    version: "2",
    allowed,
    allowedService,
    get,
    acceptAll: () => choose("accept_all"),
    rejectAll: () => choose("reject_all"),
    save: (chosen, chosenServices) =>
      choose("save", map(optional, (name) => !!chosen && chosen[name] === true), chosenServices),
    withdraw: () => choose("withdraw"),
    optOut: () => choose("opt_out"),
    erase() {
      if (!r.v || config.preview) return Promise.resolve(get());
      return request("DELETE", siteApi + "/consents/" + encodeURIComponent(r.v)).then(() => {
        fresh();
        // The opt-out of sale and sharing stays in this browser: erasing data does not undo it.
        r = {o: r.o, g: r.g, m: r.m, r: r.r, x: r.x};
        persist();
        refresh();
        return get();
      });
    },
    show: () => onReady(() => ui._showBanner()),
    showPreferences: () => onReady(() => ui._showPreferences()),
    hide: () => onReady(() => ui._hide()),
    rescan: (root) => tags && tags._scan(root),
    on(name, fn) {
      if (listeners[name] && typeof fn === "function") {
        listeners[name].push(fn);
        if (name === "ready" && ready) fn(get());
      }
      return api;
    },
  };

  /** Gating and clean-up, from the tags module once it is here. */
  let tags = null;
  // Whether this page view's first layer was counted; a preview never is.
  let counted = config.preview;
  const ui = createUi({
    _config: config, _base: base, _module: moduleUrl, _siteApi: siteApi, _api: api, _get: get, _gpc: gpc,
    _allowed: allowed, _allowedService: allowedService, _mode: mode, _reasked: reasked,
    _optional: optional, _statsOnly: statsOnly,
    _visitorId: () => r.v,
    _gpcNotice: () => gpc && !allowed(OPT_OUT),
    // The first layer is answered: a decision, a refusal on its way, or a dismissed notice.
    _answered: () => decided() || !!refusing() || (!!mode().indexOf("opt-in") && r.n === 1 && !reasked()),
    _dismiss() {
      fresh();
      r.n = 1;
      persist();
      refresh();
    },
    /**
     * The first layer is on screen: true once per page view, when the regime is known, never
     * in preview; then layers.js sends the "banner shown" beacon.
     */
    _shown: () => ready && !counted && (counted = 1),
  });

  let channel = null;
  try {
    channel = new BroadcastChannel(PREFIX + ":" + config.siteKey);
    channel.onmessage = reload;
  } catch (error) {
    /* no channel: visibility and focus still bring other pages' changes */
  }
  document.addEventListener("visibilitychange", reload);
  addEventListener("focus", reload);
  addEventListener("online", () => {
    retryMs = 2000;
    pump();
  });

  consentDefault(config.consentMode);
  window.cookieConsent = api;
  refresh();
  // Global Privacy Control goes on the record once, first, before any click can follow it;
  // without storage it applies to this page only. A choice already waiting carries it itself.
  if (gpc && !r.g && store._kind() !== "memory" && !queue().length) {
    choose("opt_out", null, null, "gpc").catch(() => {});
  }
  // The tags module loads beside the first layer, never in its way. A known choice applies as
  // soon as it is here, while the page is still loading, as ungated tags would run.
  import(moduleUrl("tags")).then((module) => {
    tags = module.default({
      _allowed: allowed, _allowedService: allowedService, _categories: names,
      _services: serviceNames, _timeoutMs: config.scriptTimeoutMs, _serviceConfig: config.services,
      _own: PREFIX, _api: api, _module: moduleUrl, _base: base, _config: config, _language: ui._language,
    });
    tags._clean();
    tags._scan();
  }, (error) => warn("gated content stays inert: " + error));

  let waits = 2;
  function begin() {
    if (--waits) return;
    ready = true;
    lastSignature = signature();
    refresh();
    pushEvent("cookie_consent_ready", map(names, allowed));
    emit("ready");
    confirm();
    pump();
    ui._prefetch();
  }
  learnRegion(begin);
  onReady(() => {
    if (tags) tags._scan();
    ui._loadTexts(() => {
      ui._build();
      // The first layer shows at once, as opt-in until the region is known.
      ui._sync();
      begin();
    });
  });
}

// --- small helpers ---------------------------------------------------------------------------

/** @param {string|null|undefined} version */
function major(version) {
  return parseInt(version, 10) || 0;
}

/** @param {number} ms @returns {string|null} */
function iso(ms) {
  return ms ? new Date(ms).toISOString() : null;
}

/** Flags as hexadecimal digits, four to a digit. @param {boolean[]} flags */
function bits(flags) {
  let out = "";
  for (let i = 0; i < flags.length; i += 4) {
    out += (flags[i] | flags[i + 1] << 1 | flags[i + 2] << 2 | flags[i + 3] << 3).toString(16);
  }
  return out;
}

/** @param {string|undefined} text @param {number} count @returns {boolean[]} */
function unbits(text, count) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(!!(parseInt((text || "")[i >> 2] || 0, 16) >> (i & 3) & 1));
  return out;
}

/** FNV-1a, enough to notice a changed list of names. @param {string} text */
function hash(text) {
  let value = 2166136261;
  for (let i = 0; i < text.length; i++) value = Math.imul(value ^ text.charCodeAt(i), 16777619);
  return (value >>> 0).toString(36);
}

/** 128 random bits for an Idempotency-Key. */
function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    (byte + 256).toString(16).slice(1)).join("");
}

start();
