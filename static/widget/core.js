/* core.js: the visitor's state, the public window.cookieConsent API and start-up. */
if (_win.cookieConsent && _win.cookieConsent.version) return;

var _names = _config.categories.map(function (category) { return category.name; });
var _state = {
  visitorId: null,
  decided: false,
  categories: {},
  policyVersion: _config.policyVersion,
  decidedAt: null,
  expiresAt: null
};
var _listeners = {ready: [], change: []};
var _isReady = false;

function _setCategories(values, decided) {
  _each(_names, function (name) {
    _state.categories[name] = name === "essential" || (decided && values[name] === true);
  });
  _state.decided = decided;
}

function _allowed(name) {
  return name === "essential" || (_state.decided && _state.categories[name] === true);
}

function _get() {
  return {
    visitorId: _state.visitorId,
    decided: _state.decided,
    categories: _assign({}, _state.categories),
    policyVersion: _state.policyVersion,
    decidedAt: _state.decidedAt,
    expiresAt: _state.expiresAt
  };
}

function _emit(name) {
  var detail = _get();
  _each(_listeners[name].slice(), function (fn) {
    try { fn(detail); } catch (error) { setTimeout(function () { throw error; }); }
  });
  var event;
  try {
    event = new CustomEvent(_PREFIX + ":" + name, {detail: detail});
  } catch (error) {
    event = _doc.createEvent("CustomEvent");
    event.initCustomEvent(_PREFIX + ":" + name, false, false, detail);
  }
  _win.dispatchEvent(event);
}

/* A stored choice counts only under the current policy version and before it expires. */
function _restore() {
  var stored = _readStored();
  _setCategories({}, false);
  if (!stored) return;
  if (typeof stored.v === "string") _state.visitorId = stored.v;
  var current = stored.d === true && stored.p === _config.policyVersion &&
    typeof stored.e === "string" && Date.parse(stored.e) > Date.now();
  if (!current || !stored.c || typeof stored.c !== "object") return;
  _setCategories(stored.c, true);
  _state.policyVersion = stored.p;
  _state.decidedAt = stored.t || null;
  _state.expiresAt = stored.e;
}

function _apply(data) {
  _state.visitorId = data.visitor_id;
  _state.policyVersion = data.policy_version;
  _state.decidedAt = data.decided_at || null;
  _state.expiresAt = data.expires_at || null;
  _setCategories(data.categories || {}, data.decided === true);
  _writeStored({
    v: _state.visitorId, d: _state.decided, c: _state.categories,
    p: _state.policyVersion, t: _state.decidedAt, e: _state.expiresAt
  }, _state.expiresAt);
  _consentUpdate(_state.categories);
  _settle();
  _wakeAllowed(_allowed);
  _emit("change");
}

function _record(action, categories) {
  var body = {
    action: action,
    policy_version: _config.policyVersion,
    language: _lang || _pickLanguage(),
    url: location.href,
    gpc: navigator.globalPrivacyControl === true
  };
  if (_state.visitorId) body.visitor_id = _state.visitorId;
  if (categories) body.categories = categories;
  return _send(body).then(function (data) {
    _apply(data);
    return _get();
  }, function (error) {
    if (_root) _showError();
    throw error;
  });
}

var _api = {
  version: "1",
  allowed: _allowed,
  get: _get,
  acceptAll: function () { return _record("accept_all"); },
  rejectAll: function () { return _record("reject_all"); },
  save: function (choices) {
    var categories = {};
    _each(_names, function (name) {
      if (name !== "essential") categories[name] = !!(choices && choices[name] === true);
    });
    return _record("save", categories);
  },
  withdraw: function () { return _record("withdraw"); },
  show: function () { _onReady(_showBanner); },
  showPreferences: function () { _onReady(_showPreferences); },
  hide: function () { _onReady(_hideAll); },
  on: function (name, fn) {
    if (!_listeners[name] || typeof fn !== "function") return _api;
    _listeners[name].push(fn);
    if (name === "ready" && _isReady) fn(_get());
    return _api;
  }
};

_consentDefault();
_restore();
if (_state.decided) _consentUpdate(_state.categories);
_win.cookieConsent = _api;

_onReady(function () {
  _buildUi();
  if (_state.decided) _hideAll();
  else _showBanner();
  _wakeAllowed(_allowed);
  _isReady = true;
  _win.dataLayer.push({event: "cookie_consent_ready", cookie_consent: _assign({}, _state.categories)});
  _emit("ready");
});
