/* storage.js: the first-party cookie that remembers the choice on the site's own domain. */
var _COOKIE_NAME = _PREFIX;

function _readStored() {
  var pairs = _doc.cookie ? _doc.cookie.split("; ") : [];
  for (var i = 0; i < pairs.length; i++) {
    var cut = pairs[i].indexOf("=");
    if (pairs[i].slice(0, cut) !== _COOKIE_NAME) continue;
    try {
      var value = JSON.parse(decodeURIComponent(pairs[i].slice(cut + 1)));
      return value && typeof value === "object" ? value : null;
    } catch (error) {
      return null;
    }
  }
  return null;
}

function _writeStored(value, expiresAt) {
  var maxAge = expiresAt ? Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000)) : 31536000;
  _doc.cookie = _COOKIE_NAME + "=" + encodeURIComponent(JSON.stringify(value)) +
    "; path=/; max-age=" + maxAge + "; SameSite=Lax" +
    (location.protocol === "https:" ? "; Secure" : "");
}
