/* server.js: talks to the consent service; never blocks the page. */
var _TIMEOUT_MS = 10000;

function _apiBase() {
  try {
    if (_script && _script.src) return new URL(_script.src).origin;
  } catch (error) { /* fall through to the configured base */ }
  return _config.apiBase;
}
var _API = _apiBase() + "/api/v1/sites/" + encodeURIComponent(_config.siteKey) + "/consents";

function _post(body) {
  var controller = typeof AbortController === "function" ? new AbortController() : null;
  var timer = controller && setTimeout(function () { controller.abort(); }, _TIMEOUT_MS);
  return fetch(_API, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
    credentials: "omit",
    keepalive: true,
    signal: controller ? controller.signal : undefined
  }).then(function (response) {
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
