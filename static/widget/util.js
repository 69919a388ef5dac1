/* util.js: DOM helpers shared by the other modules. */
var _win = window;
var _doc = document;
var _PREFIX = "cookieconsent";
// Read while the script runs: afterwards currentScript is gone.
var _script = _doc.currentScript;
var _nonce = (_script && _script.nonce) || null;

function _each(list, fn) {
  Array.prototype.forEach.call(list, fn);
}

function _assign(target, source) {
  for (var key in source) {
    if (Object.prototype.hasOwnProperty.call(source, key)) target[key] = source[key];
  }
  return target;
}

/* Builds an element; text goes through textContent, so site texts can never become markup. */
function _el(tag, attrs, children) {
  var node = _doc.createElement(tag);
  for (var name in attrs || {}) {
    if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, attrs[name]);
  }
  _each([].concat(children || []), function (child) {
    if (child === null || child === undefined) return;
    node.appendChild(typeof child === "string" ? _doc.createTextNode(child) : child);
  });
  return node;
}

function _onReady(fn) {
  if (_doc.readyState === "loading") _doc.addEventListener("DOMContentLoaded", fn);
  else fn();
}

function _safeHref(url) {
  return /^https?:\/\//i.test(url || "") ? url : null;
}
