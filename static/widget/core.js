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
// The regime where the visitor is: opt-in until the service says otherwise.
var _mode = "opt-in";
var _region = null;
var _regionKnown = false;
var _optedOut = false;
var _dismissed = false;
var _reasked = false;
var _REGION_TTL_MS = 3600000;
var _REGION_WAIT_MS = 1500;

function _major(version) {
  return parseInt(String(version || "0").split(".")[0], 10) || 0;
}

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

/* Opt-in: only what was chosen. Opt-out and notice: all until refused, never against GPC. */
function _allowed(name) {
  if (name === "essential") return true;
  if (_state.decided) return _state.categories[name] === true;
  if (_mode === "opt-in" || !_regionKnown || _names.indexOf(name) < 0) return false;
  return !((_gpc || _optedOut) && _OPT_OUT[name]);
}

function _allowedService(name) {
  if (!_serviceCategory.hasOwnProperty(name) || !_allowed(_serviceCategory[name])) return false;
  return !_state.decided || _state.services[name] === true;
}

function _effective() {
  var categories = {};
  _each(_names, function (name) { categories[name] = _allowed(name); });
  return categories;
}

function _get() {
  return {
    visitorId: _state.visitorId,
    decided: _state.decided,
    categories: _effective(),
    services: (function () {
      var services = {};
      for (var service in _serviceCategory) services[service] = _allowedService(service);
      return services;
    })(),
    policyVersion: _state.policyVersion,
    decidedAt: _state.decidedAt,
    expiresAt: _state.expiresAt,
    gpc: _gpc,
    mode: _mode,
    region: _region
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
  _optedOut = stored.o === true;
  _dismissed = stored.n === true;
  if (stored.r && typeof stored.r.m === "string" && stored.r.x > Date.now()) {
    _mode = stored.r.m;
    _region = stored.r.c || null;
    _regionKnown = true;
  }
  // A new major policy version asks again; a minor one does not.
  var current = stored.d === true && _major(stored.p) >= _major(_config.policyVersion) &&
    typeof stored.e === "string" && Date.parse(stored.e) > Date.now();
  if (stored.d === true && _major(stored.p) < _major(_config.policyVersion)) {
    _reasked = true;
    _dismissed = false;
  }
  if (!current || !stored.c || typeof stored.c !== "object") return;
  _setChoice(stored.c, stored.s, true);
  _state.policyVersion = stored.p;
  _state.decidedAt = stored.t || null;
  _state.expiresAt = stored.e;
}

function _store() {
  _writeStored({
    v: _state.visitorId, d: _state.decided, c: _state.categories, s: _state.services,
    p: _state.policyVersion, t: _state.decidedAt, e: _state.expiresAt, g: _gpcHonored,
    o: _optedOut, n: _dismissed,
    r: _regionKnown ? {m: _mode, c: _region, x: Date.now() + _REGION_TTL_MS} : null
  }, _state.decided ? _state.expiresAt : null);
}

/* Asks where the visitor is; the widget itself stays one cacheable script for everyone. */
function _learnRegion(done) {
  if (_regionKnown) return done();
  var finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    done();
  }
  setTimeout(finish, _REGION_WAIT_MS);
  _request("GET", _SITE_API + "/region", null, _REGION_WAIT_MS).then(function (data) {
    if (finished) return;
    if (data.mode === "opt-in" || data.mode === "opt-out" || data.mode === "notice") _mode = data.mode;
    _region = data.region || null;
    _regionKnown = true;
    if (_state.visitorId || _mode !== "opt-in") _store();
    finish();
  }, finish);
}

function _apply(data) {
  _state.visitorId = data.visitor_id;
  _state.policyVersion = data.policy_version;
  _state.decidedAt = data.decided_at || null;
  _state.expiresAt = data.expires_at || null;
  _setChoice(data.categories || {}, data.services || {}, data.decided === true);
  _store();
  _consentUpdate(_effective());
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
    gpc: _gpc,
    config_digest: _config.digest
  };
  if (_state.visitorId) body.visitor_id = _state.visitorId;
  if (categories) body.categories = categories;
  if (services) body.services = services;
  if (source) body.source = source;
  return _send(body).then(function (data) {
    if (source === "gpc") _gpcHonored = true;
    if (action === "opt_out") _optedOut = true;
    // The visitor's own Do Not Sell answers the notice; a GPC opt-out is only reported in it.
    // Opting out answers the opt-out notice; a GPC opt-out does too once its notice was shown.
    if (action === "opt_out" && (source !== "gpc" || _mode !== "opt-in")) _dismissed = true;
    _reasked = false;
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
  optOut: function () { return _record("opt_out"); },
  erase: function () {
    if (!_state.visitorId) return Promise.resolve(_get());
    return _request("DELETE", _visitorUrl()).then(function () {
      _state.visitorId = null;
      // The opt-out of sale and sharing stays in this browser: erasing data does not undo it.
      _dismissed = false;
      _setChoice({}, {}, false);
      _state.decidedAt = _state.expiresAt = null;
      _store();
      _consentUpdate(_effective());
      _cleanUp();
      _emit("change");
      return _get();
    });
  },
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
if (_state.decided || (_regionKnown && _mode !== "opt-in")) _consentUpdate(_effective());
_win.cookieConsent = _api;

var _regionAsked = !_regionKnown;
var _regionDone = false;
var _domDone = false;
function _start() {
  if (!_regionDone || !_domDone) return;
  // A regime without prior consent lets tags run now that the region is known.
  if (_regionAsked && !_state.decided && _mode !== "opt-in") _consentUpdate(_effective());
  _buildUi();
  if (_state.decided || (_mode !== "opt-in" && _dismissed)) _hideAll();
  else _showBanner();
  _cleanUp();
  _wakeAllowed();
  _isReady = true;
  _win.dataLayer.push({event: "cookie_consent_ready", cookie_consent: _effective()});
  _emit("ready");
  // Then on the record; a failure is retried on the next page.
  if (_gpc && !_gpcHonored) _record("opt_out", null, null, "gpc").catch(function () {});
}
_learnRegion(function () { _regionDone = true; _start(); });
_onReady(function () { _loadTexts(function () { _domDone = true; _start(); }); });
