/* tags.js: everything that touches the site's own tags, imported by the core as it starts.
 *
 * Waking gated scripts and embeds (gate.js, with document.write routing from docwrite.js) and
 * removing what refused services left behind (cleanup.js). It loads beside the first layer,
 * never before it, and comes from the browser's cache on every later page. It also starts the
 * hooks in the host page's content (hooks.js: data-role="withdraw" and "declaration").
 */
import {createGate} from "./gate.js";
import {cleanUp} from "./cleanup.js";
import {startHooks} from "./hooks.js";

/**
 * @param {object} options  See createGate; plus the site's services and the widget's own
 *   cookie prefix, which clean-up never touches.
 * @param {import("./types.js").ServiceConfig[]} options._serviceConfig
 */
export default function start(options) {
  const gate = createGate(options);
  gate._observe();
  startHooks(options);
  return {
    _scan: gate._scan,
    _clean: () => cleanUp(options._serviceConfig, options._allowedService, options._own),
  };
}
