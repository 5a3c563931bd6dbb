// Inside the iframe of /events/<slug>/embed: tell the embedding page (only the origin the
// server named, one of EMBED_ORIGINS) how tall the content is, whenever it changes.
(function () {
  "use strict";
  var parentOrigin = document.documentElement.getAttribute("data-parent-origin");
  if (!parentOrigin || window.parent === window) return;
  var last = 0;
  function send() {
    var height = Math.ceil(document.body.getBoundingClientRect().height) + 2;
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "eventsvc:height", height: height }, parentOrigin);
  }
  function start() {
    send();
    if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
    window.addEventListener("load", send);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
