/* gate.js: wakes gated scripts and embeds once their categories (and services) are allowed.
 *
 * <script type="text/plain" data-category="analytics marketing" src="…"> and
 * <iframe data-category="marketing" data-src="…"> stay inert until every listed category is
 * allowed. Scripts run in document order among themselves; an external one holds the next back
 * until it loads, fails or times out. Every other element wakes at once. Elements added later
 * (single-page apps) are found by a MutationObserver. A failing element never stops the others.
 */
import {each, warn} from "./dom.js";
import {routeWrites} from "./docwrite.js";

const GATED = "script[type='text/plain'],[data-src],[data-srcset]";
const SPACE = /[\t\n\f\r ]+/;

/**
 * The tokens of a data-category or data-service attribute: split on ASCII whitespace.
 * @param {Element} node
 * @param {string} attribute
 * @returns {string[]|null}  null when the attribute is absent
 */
function tokens(node, attribute) {
  const value = node.getAttribute(attribute);
  return value == null ? null : value.split(SPACE).filter(Boolean);
}

/**
 * True once the parser has moved past `node`: its text is complete. After parsing, always.
 * @param {Node} node
 */
function parsed(node) {
  if (document.readyState !== "loading") return true;
  for (let at = node; at; at = at.parentNode) if (at.nextSibling) return true;
  return false;
}

/**
 * @param {object} options
 * @param {(category: string) => boolean} options._allowed
 * @param {(service: string) => boolean} options._allowedService
 * @param {string[]} options._categories  Known category names.
 * @param {string[]} options._services    Known service names.
 * @param {number} options._timeoutMs     How long an external script may hold back the next.
 */
export function createGate(options) {
  /** @type {Element[]} scripts allowed and waiting for their turn */
  const scripts = [];
  const queued = new WeakSet();
  const warned = new WeakSet();
  let running = false;
  let observer = null;

  /** Whether every listed category and service is allowed; unknown names keep it inert. */
  function permits(node) {
    const categories = tokens(node, "data-category");
    const services = tokens(node, "data-service");
    if (!categories && !services) return false;
    const unknown = (categories || []).filter((name) => options._categories.indexOf(name) < 0)
      .concat((services || []).filter((name) => options._services.indexOf(name) < 0));
    if (unknown.length || (categories && !categories.length) || (services && !services.length)) {
      if (!warned.has(node)) {
        warned.add(node);
        warn("the element " + describe(node) + " stays inert: " + (unknown.length
          ? "unknown name \"" + unknown.join("\", \"") + "\". Categories: " +
            options._categories.join(", ") + "; names are lowercase and separated by spaces."
          : "empty data-category or data-service."));
      }
      return false;
    }
    return (categories || []).every(options._allowed) &&
      (services || []).every(options._allowedService);
  }

  /** Wakes every allowed element under `root` that is still asleep. */
  function scan(root) {
    each((root || document).querySelectorAll(GATED), (node) => {
      if (queued.has(node) || !permits(node) || !parsed(node)) return;
      if (node.tagName === "SCRIPT") {
        queued.add(node);
        scripts.push(node);
      } else {
        attempt(node, wakeEmbed);
      }
    });
    next();
  }

  /** Runs the next waiting script; an external one calls back when it is done or late. */
  function next() {
    while (!running && scripts.length) {
      const script = scripts.shift();
      if (!script.isConnected) {
        warn("a gated script was removed from the page before its turn; skipped: " +
          describe(script));
        continue;
      }
      // Refused again (a withdrawal in another tab) before its turn: it waits for a new grant.
      if (!permits(script)) {
        queued.delete(script);
        continue;
      }
      let waiting = false;
      attempt(script, () => {
        waiting = wakeScript(script, () => {
          running = false;
          next();
        }, options._timeoutMs);
      });
      running = waiting;
    }
  }

  return {
    _scan: scan,
    /** Watch the page for gated elements added or changed later, as single-page apps do. */
    _observe() {
      if (observer || typeof MutationObserver !== "function") return;
      observer = new MutationObserver(() => scan());
      observer.observe(document.documentElement, {
        childList: true, subtree: true,
        attributes: true,
        attributeFilter: ["data-category", "data-service", "data-src", "data-srcset", "type"],
      });
    },
  };
}

/**
 * @param {Element} node
 * @param {(node: Element) => void} fn
 */
function attempt(node, fn) {
  try {
    fn(node);
  } catch (error) {
    warn("could not wake " + describe(node) + ": " + error);
  }
}

/** @param {Element} node */
function describe(node) {
  const source = node.getAttribute("src") || node.getAttribute("data-src");
  return "<" + node.tagName.toLowerCase() + (source ? " src=\"" + source + "\"" : "") + ">";
}

/** @param {Element} node */
function wakeEmbed(node) {
  for (const name of ["srcset", "src"]) {
    const value = node.getAttribute("data-" + name);
    if (value == null) continue;
    node.removeAttribute("data-" + name);
    node.setAttribute(name, value);
  }
}

/**
 * Runs the inert script itself: its type changes and it is inserted again where it stands, so it
 * keeps its nonce, its attributes, its place and `document.currentScript`, and no Trusted Types
 * sink is touched. Returns true when the caller must wait for `done`.
 * @param {HTMLScriptElement} script
 * @param {() => void} done
 * @param {number} timeoutMs
 */
function wakeScript(script, done, timeoutMs) {
  const type = script.getAttribute("data-type");
  const external = script.hasAttribute("src");
  // Only a classic external script without async or defer holds the next ones back. (The
  // attributes, not the properties: a parser-made inert script reads as async.)
  const blocking = external && !type && !script.hasAttribute("async") &&
    !script.hasAttribute("defer");
  let finished = false;
  // Late: the scripts after it went on; what it writes when it does run is still placed.
  let late = false;
  let timer = 0;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    flush();
    if (blocking && !late) done();
  };
  const flush = routeWrites(script);
  if (external) {
    script.addEventListener("load", finish);
    script.addEventListener("error", finish);
    if (blocking) {
      timer = setTimeout(() => {
        warn("a gated script has not loaded after " + timeoutMs + " ms; the scripts after it " +
          "run now: " + describe(script));
        late = true;
        done();
      }, timeoutMs);
    }
  }
  if (type) script.setAttribute("type", type);
  else script.removeAttribute("type");
  // We keep the order ourselves: the browser's own in-order list would wait on a stalled script.
  if (external) script.async = true;
  script.parentNode.insertBefore(script, script.nextSibling);
  if (!external) finish();
  return blocking && !finished;
}
