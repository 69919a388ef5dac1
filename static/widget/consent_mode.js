/* consent_mode.js: dataLayer events and Google Consent Mode v2 signals. */
var _SIGNALS = {
  ad_storage: "marketing",
  ad_user_data: "marketing",
  ad_personalization: "marketing",
  analytics_storage: "analytics",
  functionality_storage: "essential",
  personalization_storage: "preferences",
  security_storage: "essential"
};

_win.dataLayer = _win.dataLayer || [];

/* Same shape as Google's snippet: tags read the Arguments object, not an array. */
function _gtag() {
  _win.dataLayer.push(arguments);
}

function _signals(categories) {
  var out = {};
  for (var signal in _SIGNALS) out[signal] = categories[_SIGNALS[signal]] ? "granted" : "denied";
  return out;
}

function _consentDefault() {
  var denied = _signals({});
  denied.wait_for_update = 500;
  _gtag("consent", "default", denied);
  var options = _config.consentMode || {};
  if (options.adsDataRedaction) _gtag("set", "ads_data_redaction", true);
  if (options.urlPassthrough) _gtag("set", "url_passthrough", true);
}

function _consentUpdate(categories) {
  _gtag("consent", "update", _signals(categories));
  _win.dataLayer.push({event: "cookie_consent_update", cookie_consent: _assign({}, categories)});
}
