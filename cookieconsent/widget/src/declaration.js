/* declaration.js: fills `data-role="declaration"` elements with the site's cookie declaration.
 *
 * An ES module loaded on demand (hooks.js), only on pages that carry such an element. The data
 * and its headings come as JSON from the service (`/c/<key>/declaration.json?lang=`), in the
 * banner's language, the same as the public declaration page. The markup is plain: headings,
 * paragraphs and tables for the host page to style; site texts reach it as text nodes only.
 */
import {el, warn} from "./dom.js";
import {request} from "./server.js";

/**
 * @param {ArrayLike<Element>} places  The elements to fill.
 * @param {Object<string, any>} options  The core's `_base`, `_config`, `_language`.
 */
export default function fill(places, options) {
  const config = options._config;
  const url = options._base + "/c/" + encodeURIComponent(config.siteKey) +
    "/declaration.json?lang=" + encodeURIComponent(options._language()) + "&v=" + config.digest;
  request("GET", url).then((data) => {
    Array.prototype.forEach.call(places, (place) => {
      place.replaceChildren(render(data));
      place.setAttribute("lang", data.language);
    });
  }, (error) => warn("the cookie declaration could not be loaded: " + error));
}

/**
 * @param {Object<string, any>} data  The service's declaration (see embed.py).
 * @returns {HTMLElement}
 */
function render(data) {
  const texts = data.texts;
  const head = (name) => el("th", {scope: "col"}, texts[name]);
  return el("div", {class: "declaration"}, [
    el("p", null, data.updated_text),
    ...data.categories.map((category) => el("section", {"data-category": category.name}, [
      el("h3", null, category.title),
      el("p", null, category.description),
      category.cookies.length
        ? el("table", null, [
          el("thead", null, el("tr", null, [
            head("declaration_cookie"), head("declaration_service"), head("declaration_domain"),
            head("declaration_purpose"), head("declaration_lifetime"),
          ])),
          el("tbody", null, category.cookies.map((cookie) => el("tr", null, [
            el("td", null, cookie.name), el("td", null, cookie.service),
            el("td", null, cookie.domain), el("td", null, cookie.description),
            el("td", null, cookie.lifetime),
          ]))),
        ])
        : el("p", null, texts.declaration_no_cookies),
    ])),
  ]);
}
