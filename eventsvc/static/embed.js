// The registration form on another site:
//   <script src="BASE_URL/embed.js" data-event="SLUG" async></script>
// puts an iframe of BASE_URL/events/SLUG/embed right after this script tag and keeps its
// height matched to the form (messages from that iframe alone, checked by origin and source).
// Optional: data-lang="en|zh|de" (else the visitor's browser language), data-title.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-event")) return;
  var root = script.src.replace(/\/embed\.js(?:[?#].*)?$/, "");
  var origin = new URL(script.src).origin;
  var query = "?parent=" + encodeURIComponent(window.location.origin);
  var lang = script.getAttribute("data-lang");
  if (lang) query += "&lang=" + encodeURIComponent(lang);
  var frame = document.createElement("iframe");
  frame.src = root + "/events/" + encodeURIComponent(script.getAttribute("data-event")) + "/embed" + query;
  frame.title = script.getAttribute("data-title") || "Registration";
  frame.className = "eventsvc-embed";
  frame.style.width = "100%";
  frame.style.maxWidth = "42rem";
  frame.style.height = "720px";
  frame.style.border = "0";
  frame.style.display = "block";
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== "eventsvc:height" || typeof data.height !== "number") return;
    frame.style.height = Math.max(80, Math.min(Math.round(data.height), 20000)) + "px";
  });
})();
