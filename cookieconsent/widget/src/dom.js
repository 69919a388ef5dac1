/* dom.js: small DOM helpers. Site texts only ever reach the page through text nodes. */

export const PREFIX = "cookieconsent";

/**
 * Calls `fn` for each item of an array-like.
 * @template T
 * @param {ArrayLike<T>|null|undefined} list
 * @param {(item: T, index: number) => void} fn
 */
export function each(list, fn) {
  Array.prototype.forEach.call(list || [], fn);
}

// Attributes whose values are class names or element IDs: written without the prefix.
const PREFIXED = {class: 1, id: 1, for: 1, "aria-labelledby": 1, "aria-describedby": 1, "aria-controls": 1};

/**
 * Builds an element. Attributes with a null value are left out; strings become text nodes.
 * Classes and IDs are written without the prefix: `{class: "btn"}` gives `cookieconsent-btn`,
 * so the widget's names never collide with the host page's.
 * @param {string} tag
 * @param {Object<string, string|null|undefined>|null} [attrs]
 * @param {Array<Node|string|null|undefined>|Node|string|null} [children]
 * @returns {HTMLElement}
 */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const name in attrs) {
    let value = attrs[name];
    if (value == null) continue;
    if (PREFIXED[name]) value = value.split(" ").map((token) => PREFIX + "-" + token).join(" ");
    node.setAttribute(name, value);
  }
  each([].concat(children == null ? [] : children), (child) => {
    if (child != null) node.append(child);
  });
  return node;
}

/**
 * Runs `fn` once the document has been parsed.
 * @param {() => void} fn
 */
export function onReady(fn) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
  else fn();
}

/**
 * A console warning for the site's developers; never throws.
 * @param {string} message
 */
export function warn(message) {
  try {
    console.warn(PREFIX + ": " + message);
  } catch (error) {
    /* no console */
  }
}

/**
 * The URL when it is http(s), else null: a site's policy link can never run script.
 * @param {string|null|undefined} url
 * @returns {string|null}
 */
export function safeHref(url) {
  return /^https?:\/\//i.test(url || "") ? /** @type {string} */ (url) : null;
}
