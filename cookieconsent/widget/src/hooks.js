/* hooks.js: the widget's hooks in the host page's own content, started with the tags module.
 *
 * - `data-role="withdraw"` on any element outside the widget withdraws consent in one click
 *   (a link in the privacy policy, a footer button); elements added later work too.
 * - `<div data-role="declaration"></div>` is filled with the site's cookie declaration in the
 *   banner's language; its module (declaration.js) and data load only on pages that have one.
 */
import {PREFIX, onReady, warn} from "./dom.js";

/**
 * @param {Object<string, any>} options  What the core shares: `_api`, `_module`, `_base`,
 *   `_config`, `_language`.
 */
export function startHooks(options) {
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element && event.target.closest("[data-role=withdraw]");
    if (!target || target.closest("#" + PREFIX)) return;
    event.preventDefault();
    options._api.withdraw().catch(() => {});
  });
  // The tags module may arrive while the page is still being parsed: look for the places only
  // once the document is complete, or one further down the page would be missed.
  onReady(() => {
    const places = document.querySelectorAll("[data-role=declaration]");
    if (!places.length) return;
    import(options._module("declaration")).then((module) => module.default(places, options),
      (error) => warn("the cookie declaration could not be loaded: " + error));
  });
}
