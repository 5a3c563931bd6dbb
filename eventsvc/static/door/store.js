// The device's copy of one event's check-in list, and its queue of scans not yet sent, in
// IndexedDB (through idb). Only what the door needs is kept (decide.js KEPT_FIELDS). The copy is
// dropped when another account opens the door on this device, one day after the event ends,
// and at logout (the logout answer clears the site's storage).

import { openDB, deleteDB } from "../vendor/idb-8.0.4/idb.js";
import { expired, keptOf } from "./decide.js";

const VERSION = 1;

function nameOf(slug) {
  return `eventsvc-door:${slug}`;
}

/** The store of event `slug` for `account`; `endsAt` (ISO) is when the event ends. */
export async function openStore(slug, { account, endsAt }) {
  let db = await open(slug);
  const owner = await db.get("meta", "account");
  if ((owner !== undefined && owner !== account) || expired(endsAt, Date.now())) {
    db.close();
    await deleteDB(nameOf(slug));
    db = await open(slug);
  }
  await db.put("meta", account, "account");
  await db.put("meta", endsAt, "endsAt");
  return storeOn(db);
}

function open(slug) {
  return openDB(nameOf(slug), VERSION, {
    upgrade(db) {
      db.createObjectStore("people", { keyPath: "code" });
      db.createObjectStore("queue", { keyPath: "id" });
      db.createObjectStore("meta");
    },
  });
}

function storeOn(db) {
  return {
    get: (code) => db.get("people", code),
    all: () => db.getAll("people"),
    async put(item) {
      await db.put("people", keptOf(item));
    },
    /** Write the server's items, except people with a scan still waiting to be sent. */
    async putMany(items, skipCodes = new Set()) {
      const tx = db.transaction("people", "readwrite");
      for (const item of items) {
        if (!skipCodes.has(item.code)) tx.store.put(keptOf(item));
      }
      await tx.done;
    },
    getMeta: (key) => db.get("meta", key),
    setMeta: (key, value) => db.put("meta", value, key),
    enqueue: (scan) => db.put("queue", scan),
    async queued(limit) {
      const scans = await db.getAll("queue");
      scans.sort((a, b) => a.seq - b.seq);
      return scans.slice(0, limit);
    },
    async dequeue(ids) {
      const tx = db.transaction("queue", "readwrite");
      for (const id of ids) tx.store.delete(id);
      await tx.done;
    },
    countQueued: () => db.count("queue"),
  };
}
