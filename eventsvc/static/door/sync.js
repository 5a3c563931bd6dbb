// Keeping the device and the server in step: queued scans go up (up to 1,000 at a time, each
// with the id the device gave it, so a batch sent twice counts once), then what changed on the
// server since the last fetch comes down (the `since` cursor). Run every few seconds while the
// page is open; a failure leaves everything queued for the next run.

/** The fields of a scan that the server takes. */
const SCAN_FIELDS = ["id", "code", "scanned_at", "door", "device", "offline", "exit"];

export function wireScan(scan) {
  const wire = {};
  for (const field of SCAN_FIELDS) if (scan[field] !== undefined) wire[field] = scan[field];
  return wire;
}

/**
 * `api` (api.js), `store` (store.js or an equal), and callbacks: `onResults(scans, results)` after
 * the server answered queued scans, `onRefused(scans, error)` when it refused a batch outright,
 * `onItems(items)` after changes came down, `onState("online" | "offline" | "logged-out")`.
 */
export function createSync({ api, store, onResults = () => {}, onRefused = () => {}, onItems = () => {},
  onState = () => {}, batch = 1000 }) {
  let running = null;

  async function flush() {
    for (;;) {
      const scans = await store.queued(batch);
      if (!scans.length) return;
      let results;
      try {
        results = await api.sendScans(scans.map(wireScan));
      } catch (error) {
        if (!error.refused) throw error;
        // Sending the same batch again would be refused again: drop it and say so.
        await store.dequeue(scans.map((scan) => scan.id));
        onRefused(scans, error);
        continue;
      }
      await store.dequeue(scans.map((scan) => scan.id));
      await onResults(scans, results);
      if (scans.length < batch) return;
    }
  }

  async function pull() {
    const cursor = await store.getMeta("cursor");
    const data = await api.fetchList(cursor);
    const waiting = new Set((await store.queued(Infinity)).map((scan) => scan.code));
    await store.putMany(data.items, waiting);
    await store.setMeta("cursor", data.cursor);
    if (data.items.length) await onItems(data.items, !cursor);
  }

  async function run() {
    try {
      await flush();
      await pull();
      onState("online");
      return true;
    } catch (error) {
      onState(error && error.loggedOut ? "logged-out" : "offline", error);
      return false;
    }
  }

  return {
    /** One round (flush, then pull); a round already running is joined, not doubled. */
    sync() {
      if (!running) running = run().finally(() => { running = null; });
      return running;
    },
  };
}
