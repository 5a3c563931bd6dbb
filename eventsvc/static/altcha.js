// Solve the registration form's proof-of-work challenge (ALTCHA v1) in the browser, self-hosted:
// find the number n (0..maxnumber) with SHA-256(salt + n) == challenge, then put the solution in
// the hidden "altcha" field. The submit button waits until it is found (a second or two).
(function () {
  var status = document.querySelector(".altcha-status"), field = document.getElementById("altcha");
  if (!status || !field || !window.crypto || !crypto.subtle) return;
  var form = field.form, button = form.querySelector("button[type=submit]");
  button.disabled = true;
  var encoder = new TextEncoder();
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  fetch(status.getAttribute("data-challenge-url"), {credentials: "same-origin"})
    .then(function (response) { return response.json(); })
    .then(async function (c) {
      for (var n = 0; n <= c.maxnumber; n++) {
        var digest = hex(await crypto.subtle.digest("SHA-256", encoder.encode(c.salt + n)));
        if (digest === c.challenge) {
          field.value = btoa(JSON.stringify({algorithm: c.algorithm, challenge: c.challenge,
                                             number: n, salt: c.salt, signature: c.signature}));
          status.textContent = status.getAttribute("data-done");
          button.disabled = false;
          return;
        }
      }
    })
    .catch(function () { button.disabled = false; });
})();
