// Passkeys (WebAuthn) for the organizer's second factor, without inline script (the CSP forbids
// it). A button with data-passkey="register" or "login" fetches the options from
// data-options-url, asks the browser (navigator.credentials), and posts its answer to
// data-verify-url; the server answers {redirect} or {message}, shown in #passkey-status.
(function () {
  var button = document.querySelector("button[data-passkey]");
  var status = document.getElementById("passkey-status");
  if (!button || !status) return;
  if (!window.PublicKeyCredential || !navigator.credentials) {
    status.textContent = button.getAttribute("data-unsupported");
    button.disabled = true;
    return;
  }
  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": button.getAttribute("data-csrf")},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (json) { return {ok: response.ok, body: json}; });
    });
  }
  function show(result) {
    if (result.ok && result.body.redirect) { window.location.assign(result.body.redirect); return; }
    status.textContent = result.body.message || button.getAttribute("data-failed");
    button.disabled = false;
  }
  button.addEventListener("click", function () {
    var mode = button.getAttribute("data-passkey");
    button.disabled = true;
    status.textContent = button.getAttribute("data-working");
    post(button.getAttribute("data-options-url")).then(function (result) {
      if (!result.ok) { show(result); return null; }
      var options = result.body;
      options.challenge = toBytes(options.challenge);
      if (mode === "register") {
        options.user.id = toBytes(options.user.id);
        (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
        return navigator.credentials.create({publicKey: options}).then(function (credential) {
          var name = document.getElementById("passkey-name");
          return post(button.getAttribute("data-verify-url"), {
            id: credential.id, rawId: toText(credential.rawId), type: credential.type,
            name: name ? name.value : "", clientExtensionResults: {},
            response: {
              clientDataJSON: toText(credential.response.clientDataJSON),
              attestationObject: toText(credential.response.attestationObject),
              transports: credential.response.getTransports ? credential.response.getTransports() : []
            }
          }).then(show);
        });
      }
      (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({publicKey: options}).then(function (credential) {
        var response = credential.response;
        return post(button.getAttribute("data-verify-url"), {
          id: credential.id, rawId: toText(credential.rawId), type: credential.type, clientExtensionResults: {},
          response: {
            clientDataJSON: toText(response.clientDataJSON),
            authenticatorData: toText(response.authenticatorData),
            signature: toText(response.signature),
            userHandle: response.userHandle ? toText(response.userHandle) : null
          }
        }).then(show);
      });
    }).catch(function (error) {
      if (window.console) console.warn("passkey:", error);
      status.textContent = button.getAttribute("data-failed");
      button.disabled = false;
    });
  });
})();
