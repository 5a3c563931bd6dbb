// A camera sees the same QR code in many frames, and a guest may hold it up twice: the same code
// within a few seconds is one scan.

/** A filter: `seen(code, now)` is true when `code` was last let through less than `windowMs` ago. */
export function repeatFilter(windowMs = 4000) {
  const last = new Map();
  return function seen(code, now = Date.now()) {
    const before = last.get(code);
    if (before !== undefined && now - before < windowMs) return true;
    last.set(code, now);
    if (last.size > 500) {
      for (const [key, at] of last) if (now - at >= windowMs) last.delete(key);
    }
    return false;
  };
}
