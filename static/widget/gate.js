/* gate.js: wakes up gated scripts and frames, once each, in document order. */
var _GATED = 'script[type="text/plain"][data-category],script[type="text/plain"][data-service],' +
  'iframe[data-category][data-src],iframe[data-service][data-src]';
var _queue = Promise.resolve();

function _wakeScript(inert) {
  return new Promise(function (resolve) {
    var live = _doc.createElement("script");
    _each(inert.attributes, function (attr) {
      if (attr.name !== "type" && attr.name !== "data-type") live.setAttribute(attr.name, attr.value);
    });
    var type = inert.getAttribute("data-type");
    if (type) live.type = type;
    // A strict CSP hides the nonce attribute after parsing; the property still holds it.
    if (inert.nonce) live.nonce = inert.nonce;
    if (inert.src) {
      live.async = false;
      live.onload = live.onerror = function () { resolve(); };
    } else {
      live.text = inert.text;
    }
    inert.parentNode.replaceChild(live, inert);
    if (!inert.src) resolve();
  });
}

function _wakeFrame(frame) {
  frame.setAttribute("src", frame.getAttribute("data-src"));
  frame.removeAttribute("data-src");
}

/* A data-service names one tool, which needs its own consent; otherwise the category decides. */
function _permits(node) {
  var service = node.getAttribute("data-service");
  return service ? _allowedService(service) : _allowed(node.getAttribute("data-category"));
}

/* Queues every allowed element still asleep; an external script finishes before the next runs. */
function _wakeAllowed() {
  var batch = [];
  _each(_doc.querySelectorAll(_GATED), function (node) {
    if (node.hasAttribute("data-cc-woken") || !_permits(node)) return;
    node.setAttribute("data-cc-woken", "");
    batch.push(node);
  });
  _each(batch, function (node) {
    _queue = _queue.then(function () {
      if (node.tagName === "IFRAME") return _wakeFrame(node);
      return _wakeScript(node);
    });
  });
  return _queue;
}
