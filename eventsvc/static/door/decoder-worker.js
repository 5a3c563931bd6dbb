// Reads QR codes from camera frames off the page's thread, with the vendored jsQR, for browsers
// without a BarcodeDetector. A frame comes in as {width, height, buffer} (RGBA bytes); the code's
// text, or null, goes back.
/* global jsQR */
importScripts("../vendor/jsqr-1.4.0/jsQR.js");

self.onmessage = (event) => {
  const { width, height, buffer } = event.data;
  const found = jsQR(new Uint8ClampedArray(buffer), width, height, { inversionAttempts: "dontInvert" });
  self.postMessage(found ? found.data : null);
};
