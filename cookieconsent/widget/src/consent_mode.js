/* consent_mode.js: dataLayer events and Google Consent Mode v2 signals. */

/** Each Consent Mode v2 signal and the category that grants it (CONTRACT.md). */
const SIGNALS = {
  ad_storage: "marketing",
  ad_user_data: "marketing",
  ad_personalization: "marketing",
  analytics_storage: "analytics",
  functionality_storage: "essential",
  personalization_storage: "preferences",
  security_storage: "essential",
};

function dataLayer() {
  return (window.dataLayer = window.dataLayer || []);
}

/** Same shape as Google's snippet: tags read the Arguments object, not an array. */
function gtag() {
  dataLayer().push(arguments);
}

/**
 * @param {Object<string, boolean>} categories
 * @returns {Object<string, "granted"|"denied">}
 */
function signals(categories) {
  const out = {};
  for (const signal in SIGNALS) out[signal] = categories[SIGNALS[signal]] ? "granted" : "denied";
  return out;
}

/**
 * The default, every signal denied, before any tag can read it.
 * @param {{adsDataRedaction: boolean, urlPassthrough: boolean}} options
 */
export function consentDefault(options) {
  gtag("consent", "default", Object.assign(signals({}), {wait_for_update: 500}));
  if (options.adsDataRedaction) gtag("set", "ads_data_redaction", true);
  if (options.urlPassthrough) gtag("set", "url_passthrough", true);
}

/**
 * An update, and the dataLayer event tag managers trigger on.
 * @param {Object<string, boolean>} categories
 */
export function consentUpdate(categories) {
  gtag("consent", "update", signals(categories));
  dataLayer().push({event: "cookie_consent_update", cookie_consent: Object.assign({}, categories)});
}

/**
 * Pushes a dataLayer event with the categories in force.
 * @param {string} event
 * @param {Object<string, boolean>} categories
 */
export function pushEvent(event, categories) {
  dataLayer().push({event, cookie_consent: Object.assign({}, categories)});
}
