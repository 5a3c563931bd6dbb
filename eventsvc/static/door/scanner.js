// The camera, open from one guest to the next, and a QR decoder reading its frames: the browser's
// BarcodeDetector where it has one for QR codes, else jsQR in a worker (decoder-worker.js).

const FRAME_EVERY_MS = 120;
const MAX_SIDE = 720;

async function nativeDetector() {
  if (!("BarcodeDetector" in globalThis)) return null;
  try {
    const formats = await globalThis.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    const detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
    return async (video) => {
      const codes = await detector.detect(video);
      return codes.length ? codes[0].rawValue : null;
    };
  } catch {
    return null;
  }
}

function workerDetector(workerUrl) {
  const worker = new Worker(workerUrl);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return (video) => new Promise((resolve) => {
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = () => resolve(null);
    worker.postMessage({ width: frame.width, height: frame.height, buffer: frame.data.buffer }, [frame.data.buffer]);
  });
}

/**
 * Open the camera into `video` and call `onCode(text)` for every code seen, until `stop()`.
 * Resolves to `{stop, decoder}`; rejects when there is no camera or it may not be used.
 */
export async function startScanner(video, onCode, { workerUrl }) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error("no-camera");
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute("playsinline", "");
  await video.play().catch(() => {});
  const native = await nativeDetector();
  const detect = native || workerDetector(workerUrl);
  let stopped = false;

  async function look() {
    if (stopped) return;
    try {
      if (video.readyState >= 2 && video.videoWidth) {
        const text = await detect(video);
        if (text && !stopped) onCode(text);
      }
    } catch {
      // A frame the decoder could not take; the next one will do.
    }
    if (!stopped) setTimeout(look, FRAME_EVERY_MS);
  }
  look();

  return {
    decoder: native ? "BarcodeDetector" : "jsQR",
    stop() {
      stopped = true;
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
    },
  };
}
