/* server.js: talks to the consent service; never blocks the page. */
var _TIMEOUT_MS = 10000;

function _apiBase() {
  try {
    if (_script && _script.src) return new URL(_script.src).origin;
  } catch (error) { /* fall through to the configured base */ }
  return _config.apiBase;
}
var _BASE = _apiBase();
var _SITE_API = _BASE + "/api/v1/sites/" + encodeURIComponent(_config.siteKey);
var _API = _SITE_API + "/consents";

function _visitorUrl(suffix) {
  return _API + "/" + encodeURIComponent(_state.visitorId) + (suffix || "");
}

/* One JSON request with a time limit; a problem answer becomes an Error with its status. */
function _request(method, url, body, timeout) {
  var controller = typeof AbortController === "function" ? new AbortController() : null;
  var timer = controller && setTimeout(function () { controller.abort(); }, timeout || _TIMEOUT_MS);
  var options = {method: method, credentials: "omit", signal: controller ? controller.signal : undefined};
  if (body) {
    options.headers = {"Content-Type": "application/json"};
    options.body = JSON.stringify(body);
    options.keepalive = true;
  }
  return fetch(url, options).then(function (response) {
    if (timer) clearTimeout(timer);
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) {
        var error = new Error(data.detail || ("HTTP " + response.status));
        error.status = response.status;
        error.problem = data;
        throw error;
      }
      return data;
    });
  }, function (error) {
    if (timer) clearTimeout(timer);
    throw error;
  });
}

function _post(body) {
  return _request("POST", _API, body);
}

/* Sends a choice; a visitor ID the server refuses is dropped and the choice sent afresh. */
function _send(body) {
  return _post(body).catch(function (error) {
    if (error.status === 400 && body.visitor_id && error.problem && error.problem.errors &&
        error.problem.errors.visitor_id) {
      var fresh = _assign({}, body);
      delete fresh.visitor_id;
      return _post(fresh);
    }
    throw error;
  });
}
