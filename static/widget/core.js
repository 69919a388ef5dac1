/* core.js: the visitor's state, the public window.cookieConsent API and start-up. */
if (_win.cookieConsent && _win.cookieConsent.version) return;

var _names = _config.categories.map(function (category) { return category.name; });
var _serviceCategory = {};
_each(_config.services || [], function (service) { _serviceCategory[service.name] = service.category; });
var _state = {
  visitorId: null,
  decided: false,
  categories: {},
  services: {},
  policyVersion: _config.policyVersion,
  decidedAt: null,
  expiresAt: null
};
var _listeners = {ready: [], change: []};
var _isReady = false;
// Global Privacy Control, from the page or from the header the server saw.
var _gpc = navigator.globalPrivacyControl === true || _config.gpc === true;
var _gpcHonored = false;
// What an opt-out of sale and sharing refuses.
var _OPT_OUT = {marketing: true};

function _setChoice(categories, services, decided) {
  _each(_names, function (name) {
    _state.categories[name] = name === "essential" || (decided && categories[name] === true);
  });
  for (var service in _serviceCategory) {
    _state.services[service] = _state.categories[_serviceCategory[service]] &&
      (services || {})[service] !== false;
  }
  _state.decided = decided;
}

function _allowed(name) {
  return name === "essential" || (_state.decided && _state.categories[name] === true);
}

function _allowedService(name) {
  return _serviceCategory.hasOwnProperty(name) && _allowed(_serviceCategory[name]) &&
    _state.services[name] === true;
}

function _get() {
  return {
    visitorId: _state.visitorId,
    decided: _state.decided,
    categories: _assign({}, _state.categories),
    services: _assign({}, _state.services),
    policyVersion: _state.policyVersion,
    decidedAt: _state.decidedAt,
    expiresAt: _state.expiresAt,
    gpc: _gpc
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
  _setChoice({}, {}, false);
  if (!stored) return;
  if (typeof stored.v === "string") _state.visitorId = stored.v;
  _gpcHonored = stored.g === true;
  var current = stored.d === true && stored.p === _config.policyVersion &&
    typeof stored.e === "string" && Date.parse(stored.e) > Date.now();
  if (!current || !stored.c || typeof stored.c !== "object") return;
  _setChoice(stored.c, stored.s, true);
  _state.policyVersion = stored.p;
  _state.decidedAt = stored.t || null;
  _state.expiresAt = stored.e;
}

function _store() {
  _writeStored({
    v: _state.visitorId, d: _state.decided, c: _state.categories, s: _state.services,
    p: _state.policyVersion, t: _state.decidedAt, e: _state.expiresAt, g: _gpcHonored
  }, _state.decided ? _state.expiresAt : null);
}

function _apply(data) {
  _state.visitorId = data.visitor_id;
  _state.policyVersion = data.policy_version;
  _state.decidedAt = data.decided_at || null;
  _state.expiresAt = data.expires_at || null;
  _setChoice(data.categories || {}, data.services || {}, data.decided === true);
  _store();
  _consentUpdate(_state.categories);
  _cleanUp();
  _wakeAllowed();
  _emit("change");
}

function _record(action, categories, services, source) {
  var body = {
    action: action,
    policy_version: _config.policyVersion,
    language: _lang || _pickLanguage(),
    url: location.href,
    gpc: _gpc
  };
  if (_state.visitorId) body.visitor_id = _state.visitorId;
  if (categories) body.categories = categories;
  if (services) body.services = services;
  if (source) body.source = source;
  return _send(body).then(function (data) {
    if (source === "gpc") _gpcHonored = true;
    _apply(data);
    if (source !== "gpc") _settle();
    return _get();
  }, function (error) {
    if (_root && source !== "gpc") _showError();
    throw error;
  });
}

/* GPC refuses sale and sharing in this page at once, before any tag reads the state. */
function _refuseOptOut() {
  for (var name in _OPT_OUT) _state.categories[name] = false;
  _setChoice(_state.categories, _state.services, _state.decided);
}

var _api = {
  version: "1",
  allowed: _allowed,
  allowedService: _allowedService,
  get: _get,
  acceptAll: function () { return _record("accept_all"); },
  rejectAll: function () { return _record("reject_all"); },
  save: function (choices, serviceChoices) {
    var categories = {};
    _each(_names, function (name) {
      if (name !== "essential") categories[name] = !!(choices && choices[name] === true);
    });
    var services = {};
    for (var service in _serviceCategory) {
      services[service] = categories[_serviceCategory[service]] === true &&
        !(serviceChoices && serviceChoices[service] === false);
    }
    return _record("save", categories, services);
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
if (_gpc && !_gpcHonored) _refuseOptOut();
if (_state.decided) _consentUpdate(_state.categories);
_win.cookieConsent = _api;

_onReady(function () {
  _buildUi();
  if (_state.decided) _hideAll();
  else _showBanner();
  _cleanUp();
  _wakeAllowed();
  _isReady = true;
  _win.dataLayer.push({event: "cookie_consent_ready", cookie_consent: _assign({}, _state.categories)});
  _emit("ready");
  // Then on the record; a failure is retried on the next page.
  if (_gpc && !_gpcHonored) _record("opt_out", null, null, "gpc").catch(function () {});
});
