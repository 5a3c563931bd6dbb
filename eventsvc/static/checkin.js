// Camera scanning where the browser has a BarcodeDetector (no library, nothing from the internet).
(function () {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var button = document.getElementById("scan"), box = document.getElementById("scanner");
  var video = box.querySelector("video"), input = document.getElementById("checkin-code");
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new BarcodeDetector({formats: ["qr_code"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      box.hidden = false; video.srcObject = stream; video.play();
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            input.value = codes[0].rawValue;
            document.getElementById("checkin-form").submit();
          } else { requestAnimationFrame(look); }
        }).catch(function () { requestAnimationFrame(look); });
      };
      look();
    });
  });
})();
