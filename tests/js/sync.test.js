import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../../eventsvc/static/door/memory-store.js";
import { createSync, wireScan } from "../../eventsvc/static/door/sync.js";
import { HttpError } from "../../eventsvc/static/door/api.js";

function fakeServer() {
  const calls = [];
  let down = false;
  return {
    calls,
    set down(value) { down = value; },
    api: {
      async sendScans(scans) {
        calls.push(["scans", scans]);
        if (down) throw new TypeError("Failed to fetch");
        return scans.map((scan) => ({ id: scan.id, outcome: "checked_in", checked_in_at: scan.scanned_at, door: scan.door, name: "N" }));
      },
      async fetchList(cursor) {
        calls.push(["list", cursor]);
        if (down) throw new TypeError("Failed to fetch");
        return cursor ? { items: [], cursor } : { items: [{ code: "a", name: "A", status: "confirmed", email: "x@y" }], cursor: "c1" };
      },
    },
  };
}

function scan(id, seq) {
  return { id, code: `code-${id}`, scanned_at: "2030-03-14T17:00:00Z", door: "N", device: "d", offline: true, seq };
}

test("queued scans go up in the order they were made, then the list comes down with its cursor", async () => {
  const server = fakeServer(), store = memoryStore(), answered = [];
  await store.enqueue(scan("2", 2));
  await store.enqueue(scan("1", 1));
  const sync = createSync({ api: server.api, store, onResults: (scans, results) => answered.push(...results) });
  assert.equal(await sync.sync(), true);
  assert.deepEqual(server.calls[0][1].map((s) => s.id), ["1", "2"]);
  assert.deepEqual(Object.keys(server.calls[0][1][0]).sort(), ["code", "device", "door", "id", "offline", "scanned_at"]);
  assert.equal(answered.length, 2);
  assert.equal(await store.countQueued(), 0);
  assert.equal(await store.getMeta("cursor"), "c1");
  assert.deepEqual(Object.keys(await store.get("a")).sort(), ["code", "name", "status"]);
  await sync.sync();
  assert.deepEqual(server.calls.at(-1), ["list", "c1"]);
});

test("with no network the scans stay queued and go at the next sync, in batches", async () => {
  const server = fakeServer(), store = memoryStore(), states = [];
  for (let i = 0; i < 5; i++) await store.enqueue(scan(String(i), i));
  const sync = createSync({ api: server.api, store, batch: 2, onState: (state) => states.push(state) });
  server.down = true;
  assert.equal(await sync.sync(), false);
  assert.equal(await store.countQueued(), 5);
  server.down = false;
  assert.equal(await sync.sync(), true);
  assert.equal(await store.countQueued(), 0);
  const batches = server.calls.filter(([kind]) => kind === "scans").slice(1).map(([, scans]) => scans.length);
  assert.deepEqual(batches, [2, 2, 1]);
  assert.deepEqual(states, ["offline", "online"]);
});

test("a batch the server refuses is dropped and reported; a logged-out session keeps it", async () => {
  const store = memoryStore(), refused = [], states = [];
  await store.enqueue(scan("1", 1));
  let status = 401;
  const api = { sendScans: async () => { throw new HttpError(status, null); }, fetchList: async () => ({ items: [], cursor: "c" }) };
  const sync = createSync({ api, store, onRefused: (scans) => refused.push(...scans), onState: (s) => states.push(s) });
  await sync.sync();
  assert.equal(await store.countQueued(), 1);
  assert.deepEqual(states, ["logged-out"]);
  status = 400;
  await sync.sync();
  assert.equal(await store.countQueued(), 0);
  assert.equal(refused.length, 1);
});

test("two syncs at once are one", async () => {
  const server = fakeServer(), store = memoryStore();
  const sync = createSync({ api: server.api, store });
  await Promise.all([sync.sync(), sync.sync()]);
  assert.equal(server.calls.filter(([kind]) => kind === "list").length, 1);
});

test("what goes over the wire is only the scan's fields", () => {
  assert.deepEqual(wireScan({ ...scan("1", 1), extra: 1 }), { id: "1", code: "code-1", scanned_at: "2030-03-14T17:00:00Z", door: "N", device: "d", offline: true });
});

test("the device's changes are not overwritten by a list fetched while a scan waits", async () => {
  const store = memoryStore();
  await store.put({ code: "a", name: "A", status: "confirmed", checked_in_at: "t1", door: "N" });
  await store.putMany([{ code: "a", name: "A", status: "confirmed", checked_in_at: null }], new Set(["a"]));
  assert.equal((await store.get("a")).checked_in_at, "t1");
});

test("a CSRF refusal is a lost session, not a bad batch: the scans stay", async () => {
  const error = new HttpError(400, { error: "csrf" });
  assert.equal(error.loggedOut, true);
  assert.equal(error.refused, false);
  assert.equal(new HttpError(400, { error: "bad_batch" }).refused, true);
});
