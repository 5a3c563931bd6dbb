// The same store as store.js, held in memory only: for a browser that refuses IndexedDB (some
// private windows), where the door still works while the page stays open, and for the tests.

import { keptOf } from "./decide.js";

export function memoryStore() {
  const people = new Map(), queue = new Map(), meta = new Map();
  return {
    get: async (code) => people.get(code),
    all: async () => [...people.values()],
    put: async (item) => { people.set(item.code, keptOf(item)); },
    async putMany(items, skipCodes = new Set()) {
      for (const item of items) if (!skipCodes.has(item.code)) people.set(item.code, keptOf(item));
    },
    getMeta: async (key) => meta.get(key),
    setMeta: async (key, value) => { meta.set(key, value); },
    enqueue: async (scan) => { queue.set(scan.id, scan); },
    queued: async (limit) => [...queue.values()].sort((a, b) => a.seq - b.seq).slice(0, limit),
    async dequeue(ids) {
      for (const id of ids) queue.delete(id);
    },
    countQueued: async () => queue.size,
  };
}
