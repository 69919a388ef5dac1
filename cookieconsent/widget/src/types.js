/**
 * Types shared by the widget's modules (JSDoc only; nothing here runs).
 *
 * The configuration is built by the server (cookieconsent/services/sites.py `widget_config`,
 * typed there as `WidgetConfig`) and handed to the bundle as its first argument.
 */

/**
 * @typedef {object} CookieConfig
 * @property {string} name
 * @property {"prefix"|"regex"} [match]  Exact when absent.
 * @property {string} [domain]
 */

/**
 * @typedef {object} ServiceConfig
 * @property {string} name       Lowercase identifier, unique across categories.
 * @property {string} category
 * @property {CookieConfig[]} cookies
 * @property {string[]} [storage]  localStorage keys; a trailing "*" matches a prefix.
 */

/**
 * @typedef {object} WidgetConfig
 * @property {string} siteKey
 * @property {string} apiBase            The service's origin, when the script's own URL is unknown.
 * @property {string} policyVersion      MAJOR.MINOR in force.
 * @property {string|Object<string, string>} [policySummary]  What changed in the version in
 *                                       force, per language (may miss languages).
 * @property {{name: string, address?: string, email?: string, dpoEmail?: string}} [controller]
 *                                       Who decides about the data (named by opt-in-specific).
 * @property {string[]} [behaviour]      Categories that track the visitor's online behaviour.
 * @property {string[]} [statsOnly]      Categories that run unless the visitor objects
 *                                       (opt-in-stats-exempt).
 * @property {string} [policyUrl]
 * @property {string} defaultLanguage
 * @property {string[]} languages        Languages the site offers.
 * @property {string[]} categories     Lowercase names; "essential" is always on.
 * @property {ServiceConfig[]} services
 * @property {{adsDataRedaction?: true, urlPassthrough?: true}} consentMode
 * @property {Object<string, Object<string, string>>} texts  First-layer texts of the bundled languages.
 * @property {string} digest             SHA-256 of what the banner shows (proof snapshot).
 * @property {string} [cookieDomain]  Registrable domain shared by the site's subdomains.
 * @property {number} scriptTimeoutMs    How long a gated external script may hold back later ones.
 * @property {string} modules            Path of the modules loaded on demand, "{}" for the name
 *                                       ("tags", "prefs", "layers"), with their version.
 * @property {boolean} [gpc]             The Sec-GPC header came with the script request.
 * @property {boolean} [preview]         Console preview: never write, never send.
 */

/**
 * What `window.cookieConsent.get()` returns, and the `detail` of every event.
 * @typedef {object} ConsentState
 * @property {string|null} visitorId     Signed visitor ID, or null before the first record.
 * @property {boolean} decided           A choice this site recorded, still current.
 * @property {Object<string, boolean>} categories  What may run now, per category.
 * @property {Object<string, boolean>} services    What may run now, per service.
 * @property {string} policyVersion
 * @property {string|null} decidedAt     ISO 8601 (UTC).
 * @property {string|null} expiresAt     ISO 8601 (UTC).
 * @property {boolean} pending           A choice waits to be sent to the service.
 * @property {boolean} gpc               The browser sends Global Privacy Control.
 * @property {"opt-in-specific"|"opt-in"|"opt-in-stats-exempt"|"opt-out"|"notice"} mode  The
 *                                       regime in force where the visitor is.
 * @property {string|null} region        "VN", "US-CA", … once the service said so.
 * @property {"cookie"|"local"|"memory"} storage  Where the choice is kept in this browser.
 */

/**
 * The public API, `window.cookieConsent`.
 * @typedef {object} CookieConsentApi
 * @property {string} version
 * @property {(category: string) => boolean} allowed         True when the category may run now.
 * @property {(service: string) => boolean} allowedService   True when the service may run now.
 * @property {() => ConsentState} get
 * @property {() => Promise<ConsentState>} acceptAll
 * @property {() => Promise<ConsentState>} rejectAll
 * @property {(categories: Object<string, boolean>, services?: Object<string, boolean>) => Promise<ConsentState>} save
 * @property {() => Promise<ConsentState>} withdraw
 * @property {() => Promise<ConsentState>} optOut           Do Not Sell or Share (opt-out regimes).
 * @property {() => Promise<ConsentState>} erase            Erase this visitor's records on the service.
 * @property {() => void} show
 * @property {() => void} showPreferences
 * @property {() => void} hide
 * @property {(root?: ParentNode) => void} rescan            Wake allowed gated elements now.
 * @property {(event: "ready"|"change", listener: (state: ConsentState) => void) => CookieConsentApi} on
 */

export {};
