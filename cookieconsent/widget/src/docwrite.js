/* docwrite.js: `document.write` from a woken tag writes where the tag stands.
 *
 * A woken tag runs after the parser has moved on, where the browser's own document.write would
 * replace the whole page (the banner and the "Cookie settings" control with it). While a woken
 * script runs, what it writes is kept and inserted right after it once it has run. Under
 * Trusted Types the markup cannot be parsed without the site's own policy, so it is refused
 * with a warning. Every other caller gets the browser's document.write unchanged.
 */
import {each, warn} from "./dom.js";

/** @type {Map<Element, string[]>} */
const buffers = new Map();
let installed = false;

function install() {
  installed = true;
  for (const method of ["write", "writeln"]) {
    const native = document[method];
    document[method] = function (...markup) {
      const buffer = buffers.get(document.currentScript);
      if (!buffer) return native.apply(this, markup);
      buffer.push(markup.join("") + (method === "writeln" ? "\n" : ""));
    };
  }
}

/**
 * Catch what `script` writes while it runs; returns the function that inserts it afterwards.
 * @param {HTMLScriptElement} script
 * @returns {() => void}
 */
export function routeWrites(script) {
  if (!installed) install();
  buffers.set(script, []);
  return () => {
    const markup = (buffers.get(script) || []).join("");
    buffers.delete(script);
    if (!markup) return;
    try {
      const range = document.createRange();
      range.selectNode(script);
      const fragment = range.createContextualFragment(markup);
      // Scripts it writes run under the page's Content-Security-Policy as the tag itself does.
      each(fragment.querySelectorAll("script"), (written) => { written.nonce = script.nonce; });
      script.parentNode.insertBefore(fragment, script.nextSibling);
    } catch (error) {
      warn("document.write from a gated script was not applied: " + error);
    }
  };
}
