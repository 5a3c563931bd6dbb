// A camera sees the same QR code in many frames, and a guest may hold it up for a while or
// twice: the same code seen again within a few seconds of its last sighting is one scan.

/** A filter: `seen(code, now)` is true when `code` was last seen less than `windowMs` ago. */
export function repeatFilter(windowMs = 4000) {
  const last = new Map();
  return function seen(code, now = Date.now()) {
    const before = last.get(code);
    last.set(code, now);
    if (last.size > 500) {
      for (const [key, at] of last) if (now - at >= windowMs) last.delete(key);
    }
    return before !== undefined && now - before < windowMs;
  };
}
