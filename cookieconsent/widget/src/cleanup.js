/* cleanup.js: removes what refused services left behind, cookies and localStorage keys. */
import {each} from "./dom.js";

/**
 * @param {{name: string, match: string}} declared
 * @param {string} name
 */
function matches(declared, name) {
  if (declared.match === "prefix") return name.indexOf(declared.name) === 0;
  if (declared.match === "regex") {
    try {
      return new RegExp("^(?:" + declared.name + ")$").test(name);
    } catch (error) {
      return false;
    }
  }
  return name === declared.name;
}

/** Every domain attribute a cookie for this host could have been set with. */
function cookieDomains(extra) {
  const host = location.hostname;
  const domains = [""];
  if (!/^[\d.]+$/.test(host) && host.indexOf(":") < 0) {
    const labels = host.split(".");
    for (let i = 0; i < labels.length - 1; i++) {
      const domain = labels.slice(i).join(".");
      domains.push(domain, "." + domain);
    }
  }
  if (extra) domains.push(extra);
  return domains;
}

/** "/", and every prefix of the current path, with and without a trailing slash. */
function cookiePaths() {
  const paths = ["/"];
  const parts = location.pathname.split("/");
  for (let i = 2; i <= parts.length; i++) {
    const path = parts.slice(0, i).join("/");
    if (path) paths.push(path, path + "/");
  }
  return paths;
}

function expire(name, domain) {
  each(cookieDomains(domain), (attribute) => {
    each(cookiePaths(), (path) => {
      document.cookie = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=" + path +
        (attribute ? "; domain=" + attribute : "");
    });
  });
}

/**
 * Expires the declared cookies and storage keys of every service that may not run now.
 * The widget's own cookies are never touched.
 * @param {import("./types.js").ServiceConfig[]} services
 * @param {(service: string) => boolean} allowedService
 * @param {string} own  Prefix of the widget's own cookie names.
 */
export function cleanUp(services, allowedService, own) {
  try {
    const names = document.cookie ? document.cookie.split("; ").map((pair) => pair.split("=")[0]) : [];
    let storage = null;
    try {
      storage = window.localStorage;
    } catch (error) {
      /* storage blocked: nothing to clean */
    }
    each(services, (service) => {
      if (allowedService(service.name)) return;
      each(service.cookies, (declared) => {
        each(names, (name) => {
          if (name.indexOf(own) !== 0 && matches(declared, name)) expire(name, declared.domain);
        });
      });
      if (!storage) return;
      each(service.storage, (key) => {
        const prefix = key.charAt(key.length - 1) === "*" ? key.slice(0, -1) : null;
        for (let i = storage.length - 1; i >= 0; i--) {
          const stored = storage.key(i);
          if (prefix !== null ? stored.indexOf(prefix) === 0 : stored === key) storage.removeItem(stored);
        }
      });
    });
  } catch (error) {
    /* a sandboxed page: no cookies to clean */
  }
}
