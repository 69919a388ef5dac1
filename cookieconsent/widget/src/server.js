/* server.js: JSON requests to the consent service; never blocks the page. */

const TIMEOUT_MS = 10000;

/**
 * The service's origin: where the script itself came from, else the configured base.
 * @param {string} fallback
 * @param {HTMLScriptElement|null} script
 */
export function serviceBase(fallback, script) {
  try {
    if (script && script.src) return new URL(script.src).origin;
  } catch (error) {
    /* fall through */
  }
  return fallback;
}

/**
 * One JSON request with a time limit. Resolves with the body; rejects with an Error whose
 * `status` is the HTTP status (0 when the service could not be reached) and `problem` the body.
 * @param {string} method
 * @param {string} url
 * @param {object|null} [body]
 * @param {{timeout?: number, key?: string}} [options]  `key`: the Idempotency-Key header.
 * @returns {Promise<any>}
 */
export function request(method, url, body, options) {
  options = options || {};
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = controller && setTimeout(() => controller.abort(), options.timeout || TIMEOUT_MS);
  /** @type {RequestInit} */
  const init = {method, credentials: "omit", signal: controller ? controller.signal : undefined};
  if (body) {
    init.headers = {"Content-Type": "application/json"};
    if (options.key) init.headers["Idempotency-Key"] = options.key;
    init.body = JSON.stringify(body);
    init.keepalive = true;
  }
  const fail = (status, problem) => {
    const error = new Error((problem && problem.detail) || "HTTP " + status);
    error.status = status;
    error.problem = problem || {};
    throw error;
  };
  return fetch(url, init).then((response) => {
    clearTimeout(timer);
    return response.json().then((data) => {
      if (!response.ok) fail(response.status, data);
      return data;
    }, () => {
      // Not JSON: an error page, or a portal or proxy answering in the service's place.
      fail(response.ok ? 0 : response.status);
    });
  }, () => {
    clearTimeout(timer);
    fail(0);
  });
}
