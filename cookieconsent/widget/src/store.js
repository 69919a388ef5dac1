/* store.js: where this browser keeps the visitor's choice for one site.
 *
 * A first-party cookie named after the site, so two sites on one host never share a choice,
 * optionally on the site's registrable domain so its subdomains share it. Where cookies do not
 * work (blocked, or a sandboxed frame), Web Storage; where nothing works, memory for this page
 * view. No failure of storage ever stops the widget.
 */
import {PREFIX} from "./dom.js";

/**
 * The stored record, with short keys to keep the cookie small (see core.js for their meaning).
 * @typedef {Object<string, any>} StoredRecord
 */

/** @param {() => any} fn @returns {any} */
function attempt(fn) {
  try {
    return fn();
  } catch (error) {
    return null;
  }
}

/**
 * Every cookie called `name`, parsed; several exist when a host-only one and one on the
 * registrable domain both survive.
 * @param {string} name
 * @returns {StoredRecord[]}
 */
function readCookies(name) {
  const found = [];
  for (const pair of (attempt(() => document.cookie) || "").split("; ")) {
    const cut = pair.indexOf("=");
    if (pair.slice(0, cut) !== name) continue;
    const value = attempt(() => JSON.parse(decodeURIComponent(pair.slice(cut + 1))));
    if (value && typeof value === "object") found.push(value);
  }
  return found;
}

/**
 * @param {string} siteKey
 * @param {string|null} cookieDomain  Registrable domain shared by the site's subdomains.
 * @param {number} keepDays  How long an undecided record is kept.
 */
export function createStore(siteKey, cookieDomain, keepDays) {
  const name = PREFIX + "_" + siteKey;
  const host = location.hostname;
  // The shared domain applies only on that domain and below it.
  const domain = cookieDomain && (host === cookieDomain || host.endsWith("." + cookieDomain))
    ? "; domain=" + cookieDomain : "";
  const secure = location.protocol === "https:" ? "; Secure" : "";
  /** @type {"cookie"|"local"|"memory"} */
  let kind = "memory";
  /** @type {StoredRecord|null} */
  let memory = null;
  /** @type {Storage|null} */
  const local = attempt(() => window.localStorage);
  /** @type {Storage|null} */
  const session = attempt(() => window.sessionStorage);

  function setCookie(cookieName, value, maxAge) {
    attempt(() => {
      document.cookie = cookieName + "=" + value + "; path=/" + domain +
        (maxAge == null ? "" : "; max-age=" + maxAge) + "; SameSite=Lax" + secure;
    });
  }

  /** @returns {StoredRecord|null} */
  function read() {
    if (kind === "cookie") {
      const found = readCookies(name);
      // The latest write wins; an older copy on another domain attribute is left to expire.
      return found.sort((a, b) => (b.u || 0) - (a.u || 0))[0] || null;
    }
    if (kind === "local") {
      const record = attempt(() => JSON.parse(local.getItem(name)));
      return record && record.X > Date.now() ? record : null;
    }
    return memory;
  }

  /**
   * Keeps `record` until `expires` (ms since the epoch), falling back to the next kind of
   * storage when the write does not come back.
   * @param {StoredRecord} record
   * @param {number|null} expires
   */
  function write(record, expires) {
    const until = expires || Date.now() + keepDays * 864e5;
    if (kind === "cookie") {
      // A host-only copy from before the site shared its domain would shadow the new one.
      if (domain) attempt(() => { document.cookie = name + "=; path=/; max-age=0"; });
      setCookie(name, encodeURIComponent(JSON.stringify(record)),
        Math.max(0, Math.floor((until - Date.now()) / 1000)));
      const back = read();
      if (back && back.u === record.u) return;
      kind = "local";
    }
    if (kind === "local") {
      if (attempt(() => {
        local.setItem(name, JSON.stringify(Object.assign({}, record, {X: until})));
        return true;
      }) && read()) return;
      kind = "memory";
    }
    memory = record;
  }

  // Find out once what works here: a cookie that comes back, else Web Storage, else memory.
  const probe = name + "_p";
  setCookie(probe, "1", 60);
  if (readSession(probe)) {
    kind = "cookie";
    setCookie(probe, "", 0);
  } else if (attempt(() => local.setItem(probe, "1") || local.removeItem(probe) || 1)) {
    kind = "local";
  }

  return {
    _read: read,
    _write: write,
    /** @returns {"cookie"|"local"|"memory"} */
    _kind: () => kind,
    /**
     * Whether this browser session has not yet been marked (a session cookie, or sessionStorage
     * where cookies fail); always true in memory, where nothing outlives the page.
     */
    _newSession() {
      const marker = name + "_s";
      return kind === "cookie" ? !readSession(marker)
        : !attempt(() => session.getItem(marker));
    },
    /** Mark this browser session: its decision was confirmed with the service. */
    _markSession() {
      const marker = name + "_s";
      if (kind === "cookie") setCookie(marker, "1", null);
      else attempt(() => session.setItem(marker, "1"));
    },
    /** The visitor ID of the cookie every site on this host shared before choices had owners. */
    _legacyVisitorId() {
      const old = readCookies(PREFIX)[0];
      return old && typeof old.v === "string" ? old.v : null;
    },
  };
}

/** @param {string} marker */
function readSession(marker) {
  return (attempt(() => document.cookie) || "").split("; ").indexOf(marker + "=1") >= 0;
}
