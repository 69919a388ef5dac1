/* ui.js: the first layer, the preferences dialog and the reopen control. */
var _root = null;
var _banner = null;
var _overlay = null;
var _dialog = null;
var _reopen = null;
var _returnFocus = null;
var _texts = null;
var _lang = null;

/* The page's language, then the browser's, then the site's default; among the site's own. */
function _pickLanguage() {
  var offered = _config.languages || [];
  var wanted = [_doc.documentElement.getAttribute("lang")].concat(
    navigator.languages || [navigator.language]);
  for (var i = 0; i < wanted.length; i++) {
    var tag = String(wanted[i] || "").toLowerCase();
    if (!tag) continue;
    if (offered.indexOf(tag) >= 0) return tag;
    var base = tag.split("-")[0];
    if (offered.indexOf(base) >= 0) return base;
  }
  return _config.defaultLanguage;
}

/* The script carries two languages; a site's others come from a small cacheable file. */
function _loadTexts(done) {
  var language = _pickLanguage();
  if (_config.texts[language]) return done();
  _request("GET", _BASE + "/c/" + encodeURIComponent(_config.siteKey) + "/texts/" + language +
    ".json", null, _REGION_WAIT_MS).then(function (texts) {
    _config.texts[language] = texts;
    done();
  }, done);
}

function _button(role, text, onClick) {
  var button = _el("button", {type: "button", "class": "cc-btn", "data-role": role}, text);
  button.addEventListener("click", onClick);
  return button;
}

function _quietly(promise) {
  // Failures are shown in the dialog; the page's console need not see them twice.
  promise.catch(function () {});
}

function _focusables(container) {
  return Array.prototype.filter.call(
    container.querySelectorAll("button, a[href], input:not([disabled])"),
    function (node) { return node.offsetParent !== null; });
}

function _linkButton(role, text, onClick) {
  var button = _el("button", {type: "button", "class": "cc-linkbtn", "data-role": role}, text);
  button.addEventListener("click", onClick);
  return button;
}

function _dismiss() {
  _dismissed = true;
  _store();
  _settle();
}

/* The first layer for the regime: opt-in asks; opt-out and notice inform and offer refusal. */
function _bannerActions() {
  var preferences = _button("preferences", _texts.preferences, function () { _showPreferences(); });
  if (_mode === "opt-out") {
    return [
      _el("div", {"class": "cc-actions"}, [_button("dismiss", _texts.dismiss, _dismiss), preferences]),
      _linkButton("do-not-sell", _texts.do_not_sell, function () { _quietly(_api.optOut()); })
    ];
  }
  if (_mode === "notice") {
    return [
      _el("div", {"class": "cc-actions"}, [_button("dismiss", _texts.dismiss, _dismiss), preferences]),
      _linkButton("reject-all", _texts.reject_all, function () { _quietly(_api.rejectAll()); })
    ];
  }
  return [_el("div", {"class": "cc-actions"}, [
    _button("accept-all", _texts.accept_all, function () { _quietly(_api.acceptAll()); }),
    _button("reject-all", _texts.reject_all, function () { _quietly(_api.rejectAll()); }),
    preferences
  ])];
}

function _buildBanner() {
  var policy = _safeHref(_config.policyUrl);
  var description = _mode === "opt-out" ? _texts.opt_out_description
    : _mode === "notice" ? _texts.notice_description : _texts.description;
  var banner = _el("div", {
    "class": "cc-banner", role: "dialog", "aria-modal": "false", "data-mode": _mode,
    "aria-labelledby": "cc-title", "aria-describedby": "cc-desc", "data-role": "banner", hidden: ""
  }, [
    _el("h2", {id: "cc-title", "class": "cc-title"}, _texts.title),
    _reasked ? _el("p", {"class": "cc-text cc-policy", "data-role": "policy-updated"},
      _texts.policy_updated + (_config.policySummary ? " " + _config.policySummary : "")) : null,
    _el("p", {id: "cc-desc", "class": "cc-text"}, [
      description + " ",
      policy && _el("a", {href: policy, "class": "cc-link", target: "_blank", rel: "noopener"},
        _texts.policy_link)
    ]),
    _gpcNotice()
  ].concat(_bannerActions(), [_el("p", {"class": "cc-error", role: "alert"})]));
  return banner;
}

function _gpcNotice() {
  return _gpc ? _el("p", {"class": "cc-text cc-gpc", "data-role": "gpc-notice"}, _texts.gpc_honored)
    : null;
}

/* The notice speaks only while the opt-out stands: an explicit accept ends it. */
function _syncGpcNotice() {
  _each(_root.querySelectorAll('[data-role="gpc-notice"]'), function (node) {
    node.hidden = _allowed("marketing");
  });
}

function _switch(id, attr, name, describedBy) {
  var attrs = {type: "checkbox", role: "switch", id: id, "class": "cc-switch",
    "aria-describedby": describedBy};
  attrs[attr] = name;
  return _el("input", attrs);
}

function _serviceRow(service, categorySwitch) {
  var text = _texts.services[service.name] || {title: service.name, description: ""};
  var id = "cc-svc-" + service.name;
  var input = _switch(id, "data-service-switch", service.name, id + "-desc");
  input.setAttribute("data-category", service.category);
  input.addEventListener("change", function () {
    // The category is on while any of its services is.
    var siblings = _dialog.querySelectorAll('[data-service-switch][data-category="' +
      service.category + '"]');
    categorySwitch.checked = Array.prototype.some.call(siblings, function (node) {
      return node.checked;
    });
  });
  if (categorySwitch.disabled) {
    input.checked = true;
    input.disabled = true;
  }
  return _el("li", {"class": "cc-svc"}, [
    _el("div", {"class": "cc-cat-head"}, [
      _el("label", {"for": id, "class": "cc-svc-title"}, text.title),
      input
    ]),
    text.description ? _el("p", {id: id + "-desc", "class": "cc-text cc-small"}, text.description)
      : null
  ]);
}

function _categoryRow(category) {
  var name = category.name;
  var text = _texts.categories[name] || {title: name, description: ""};
  var id = "cc-cat-" + name;
  var input = _switch(id, "data-category-switch", name, id + "-desc");
  if (category.locked) {
    input.checked = true;
    input.disabled = true;
  }
  var services = (_config.services || []).filter(function (service) {
    return service.category === name;
  });
  var serviceList = services.length
    ? _el("ul", {"class": "cc-services"}, services.map(function (service) {
      return _serviceRow(service, input);
    }))
    : null;
  input.addEventListener("change", function () {
    if (!serviceList) return;
    _each(serviceList.querySelectorAll("[data-service-switch]"), function (node) {
      node.checked = input.checked;
    });
  });
  return _el("li", {"class": "cc-cat"}, [
    _el("div", {"class": "cc-cat-head"}, [
      _el("label", {"for": id, "class": "cc-cat-title"}, text.title),
      category.locked ? _el("span", {"class": "cc-always"}, _texts.always_on) : null,
      input
    ]),
    _el("p", {id: id + "-desc", "class": "cc-text cc-small"}, text.description),
    serviceList
  ]);
}

function _choices(attr) {
  var choices = {};
  _each(_dialog.querySelectorAll("[" + attr + "]"), function (input) {
    if (!input.disabled) choices[input.getAttribute(attr)] = input.checked;
  });
  return choices;
}

function _buildPreferences() {
  var withdraw = _el("button", {type: "button", "class": "cc-linkbtn", "data-role": "withdraw"},
    _texts.withdraw);
  withdraw.addEventListener("click", function () { _quietly(_api.withdraw()); });
  _dialog = _el("div", {
    "class": "cc-prefs", role: "dialog", "aria-modal": "true",
    "aria-labelledby": "cc-prefs-title", "aria-describedby": "cc-prefs-desc", tabindex: "-1"
  }, [
    _el("div", {"class": "cc-prefs-head"}, [
      _el("h2", {id: "cc-prefs-title", "class": "cc-title"}, _texts.preferences_title),
      _button("close", _texts.close, function () { _closePreferences(); })
    ]),
    _el("p", {id: "cc-prefs-desc", "class": "cc-text"}, _texts.preferences_description),
    _gpcNotice(),
    _el("ul", {"class": "cc-cats"}, _config.categories.map(_categoryRow)),
    _el("div", {"class": "cc-actions"}, [
      _button("reject-all", _texts.reject_all, function () { _quietly(_api.rejectAll()); }),
      _button("save", _texts.save, function () {
        _quietly(_api.save(_choices("data-category-switch"), _choices("data-service-switch")));
      }),
      _button("accept-all", _texts.accept_all, function () { _quietly(_api.acceptAll()); })
    ]),
    withdraw,
    _yourData(),
    _el("p", {"class": "cc-error", role: "alert"})
  ]);
  _overlay = _el("div", {"class": "cc-overlay", hidden: ""}, _dialog);
  _overlay.addEventListener("keydown", _trapFocus);
  return _overlay;
}

/* The visitor's rights: see the history, download it, get a receipt, erase it. */
function _yourData() {
  var history = _el("ol", {"class": "cc-history cc-small", "data-role": "history-list", hidden: ""});
  var status = _el("p", {"class": "cc-text cc-small", role: "status"});
  var exportLink = _el("a", {"class": "cc-link", "data-role": "export", download: "consent-data.json"},
    _texts.export);
  var receiptLink = _el("a", {"class": "cc-link", "data-role": "receipt", target: "_blank",
    rel: "noopener"}, _texts.receipt);
  var section = _el("div", {"class": "cc-rights", "data-role": "your-data"}, [
    _el("h3", {"class": "cc-subtitle"}, _texts.your_data),
    _el("div", {"class": "cc-rights-actions"}, [
      _linkButton("history", _texts.history, function () {
        _request("GET", _visitorUrl("/history")).then(function (data) {
          history.textContent = "";
          _each(data.events || [], function (event) {
            var allowed = [];
            for (var name in event.categories) if (event.categories[name]) allowed.push(name);
            history.appendChild(_el("li", null, event.recorded_at.replace("T", " ").slice(0, 16) +
              " · " + event.action + " · " + allowed.join(", ")));
          });
          history.hidden = false;
        }, function () { status.textContent = _texts.error; });
      }),
      exportLink,
      receiptLink,
      _linkButton("erase", _texts.erase, function () {
        if (!_win.confirm(_texts.erase_confirm)) return;
        _api.erase().then(function () {
          history.hidden = true;
          _syncRights();
          // The record and its links are gone; the section stays to say so.
          section.hidden = false;
          section.querySelector(".cc-rights-actions").hidden = true;
          status.textContent = _texts.erased;
          // The focused control just disappeared; the dialog keeps the keyboard.
          _dialog.focus();
        }, function () { status.textContent = _texts.error; });
      })
    ]),
    history,
    status
  ]);
  return section;
}

function _syncRights() {
  var section = _dialog.querySelector('[data-role="your-data"]');
  section.hidden = !_state.visitorId;
  if (!_state.visitorId) return;
  // A new record after an erasure gets its links back.
  section.querySelector(".cc-rights-actions").hidden = false;
  section.querySelector('[role="status"]').textContent = "";
  section.querySelector('[data-role="export"]').href = _visitorUrl("/export");
  section.querySelector('[data-role="receipt"]').href = _BASE + "/receipt/" +
    encodeURIComponent(_config.siteKey) + "/" + encodeURIComponent(_state.visitorId) +
    "?lang=" + encodeURIComponent(_lang);
}

function _trapFocus(event) {
  if (event.key !== "Tab") return;
  var items = _focusables(_dialog);
  if (!items.length) return;
  var first = items[0];
  var last = items[items.length - 1];
  if (event.shiftKey && (_doc.activeElement === first || _doc.activeElement === _dialog)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && _doc.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

function _onKey(event) {
  if (event.key !== "Escape" && event.key !== "Esc") return;
  if (_overlay && !_overlay.hidden) {
    event.preventDefault();
    _closePreferences();
  } else if (_banner && !_banner.hidden && _root.contains(_doc.activeElement)) {
    // Esc dismisses the notice for now; it consents to nothing.
    event.preventDefault();
    _hideAll();
    _reopen.focus();
  }
}

/* A constructed stylesheet passes a strict style-src; older browsers get a <style> with the nonce. */
function _injectStyles() {
  if (_doc.adoptedStyleSheets && typeof CSSStyleSheet === "function" &&
      "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(_css);
    _doc.adoptedStyleSheets = _doc.adoptedStyleSheets.concat([sheet]);
  } else {
    _doc.head.appendChild(_el("style", {nonce: _nonce}, _css));
  }
}

function _buildUi() {
  if (_root) return;
  _injectStyles();
  _lang = _pickLanguage();
  if (!_config.texts[_lang]) _lang = _config.defaultLanguage;
  _texts = _config.texts[_lang];
  _banner = _buildBanner();
  _reopen = _el("button", {type: "button", "class": "cc-reopen", "data-role": "reopen", hidden: ""},
    _texts.reopen);
  _reopen.addEventListener("click", function () { _showPreferences(); });
  _root = _el("div", {id: _PREFIX, "class": "cc-root", lang: _lang},
    [_banner, _buildPreferences(), _reopen]);
  _doc.body.insertBefore(_root, _doc.body.firstChild);
  _doc.addEventListener("keydown", _onKey);
}

function _clearErrors() {
  _each(_root.querySelectorAll(".cc-error"), function (node) { node.textContent = ""; });
}

function _showError() {
  var layer = _overlay.hidden ? _banner : _dialog;
  layer.querySelector(".cc-error").textContent = _texts.error;
}

function _showBanner() {
  _buildUi();
  _clearErrors();
  _syncGpcNotice();
  _overlay.hidden = true;
  _reopen.hidden = true;
  _banner.hidden = false;
}

function _showPreferences() {
  _buildUi();
  _clearErrors();
  _syncGpcNotice();
  var active = _doc.activeElement;
  _returnFocus = active && active !== _doc.body && !_overlay.contains(active) ? active : null;
  _each(_dialog.querySelectorAll("[data-category-switch]"), function (input) {
    if (!input.disabled) input.checked = _allowed(input.getAttribute("data-category-switch"));
  });
  _each(_dialog.querySelectorAll("[data-service-switch]"), function (input) {
    if (!input.disabled) input.checked = _allowedService(input.getAttribute("data-service-switch"));
  });
  _dialog.querySelector('[data-role="withdraw"]').hidden = !_state.decided;
  _syncRights();
  _banner.hidden = true;
  _reopen.hidden = true;
  _overlay.hidden = false;
  _dialog.focus();
}

function _closePreferences() {
  _overlay.hidden = true;
  if (_state.decided || _dismissed) {
    _reopen.hidden = false;
  } else {
    _banner.hidden = false;
  }
  var target = _returnFocus && _doc.contains(_returnFocus) && _returnFocus.offsetParent !== null
    ? _returnFocus
    : (_banner.hidden ? _reopen : _banner.querySelector('[data-role="preferences"]'));
  _returnFocus = null;
  target.focus();
}

function _hideAll() {
  _buildUi();
  _dismissed = true;
  _banner.hidden = true;
  _overlay.hidden = true;
  _reopen.hidden = false;
}

/* After a recorded choice: close every layer and leave the reopen control. */
function _settle() {
  if (!_root) return;
  var hadFocus = _root.contains(_doc.activeElement);
  _hideAll();
  if (hadFocus) _reopen.focus();
}
