/* cleanup.js: removes what refused services left behind, cookies and localStorage keys. */

function _declaredMatch(declared, name) {
  if (declared.match === "prefix") return name.indexOf(declared.name) === 0;
  if (declared.match === "regex") {
    try { return new RegExp("^(?:" + declared.name + ")$").test(name); } catch (error) { return false; }
  }
  return name === declared.name;
}

/* Every domain attribute a cookie for this host could have been set with. */
function _cookieDomains(extra) {
  var host = location.hostname;
  var domains = [""];
  if (!/^[\d.]+$/.test(host) && host.indexOf(":") < 0) {
    var labels = host.split(".");
    for (var i = 0; i < labels.length - 1; i++) {
      var domain = labels.slice(i).join(".");
      domains.push(domain, "." + domain);
    }
  }
  if (extra) domains.push(extra);
  return domains;
}

/* "/", and every prefix of the current path, with and without a trailing slash. */
function _cookiePaths() {
  var paths = ["/"];
  var parts = location.pathname.split("/");
  for (var i = 2; i <= parts.length; i++) {
    var path = parts.slice(0, i).join("/");
    if (path) paths.push(path, path + "/");
  }
  return paths;
}

function _expireCookie(name, domain) {
  _each(_cookieDomains(domain), function (domainAttr) {
    _each(_cookiePaths(), function (path) {
      _doc.cookie = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=" + path +
        (domainAttr ? "; domain=" + domainAttr : "");
    });
  });
}

function _cleanUp() {
  var names = _doc.cookie ? _doc.cookie.split("; ").map(function (pair) {
    return pair.slice(0, pair.indexOf("=") < 0 ? pair.length : pair.indexOf("="));
  }) : [];
  var storage = null;
  try { storage = _win.localStorage; } catch (error) { /* storage blocked: nothing to clean */ }
  _each(_config.services || [], function (service) {
    if (_allowedService(service.name)) return;
    _each(service.cookies || [], function (declared) {
      _each(names, function (name) {
        if (name !== _COOKIE_NAME && _declaredMatch(declared, name)) _expireCookie(name, declared.domain);
      });
    });
    if (!storage) return;
    _each(service.storage || [], function (key) {
      var prefix = key.charAt(key.length - 1) === "*" ? key.slice(0, -1) : null;
      for (var i = storage.length - 1; i >= 0; i--) {
        var stored = storage.key(i);
        if (prefix !== null ? stored.indexOf(prefix) === 0 : stored === key) storage.removeItem(stored);
      }
    });
  });
}
