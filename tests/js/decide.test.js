import { test } from "node:test";
import assert from "node:assert/strict";
import { afterResult, counts, decide, expired, keptOf } from "../../eventsvc/static/door/decide.js";

const guest = { code: "c1", name: "Anna Schmidt", organization: "OAV", status: "confirmed", checked_in_at: null, door: null };

test("offline, a confirmed guest is checked in at this door; a second scan is already in", () => {
  const first = decide(guest, "2030-03-14T17:00:00Z", "North");
  assert.equal(first.outcome, "checked_in");
  assert.equal(first.item.checked_in_at, "2030-03-14T17:00:00Z");
  assert.equal(first.item.door, "North");
  const second = decide(first.item, "2030-03-14T17:05:00Z", "South");
  assert.equal(second.outcome, "already_checked_in");
  assert.equal(second.item.door, "North");
});

test("offline, cancelled, waiting list and not on the list are refused", () => {
  assert.equal(decide({ ...guest, status: "cancelled" }, "t").outcome, "cancelled");
  assert.equal(decide({ ...guest, status: "waitlisted" }, "t").outcome, "waitlisted");
  assert.equal(decide(undefined, "t").outcome, "unknown");
});

test("the server's answer sets the time and door of the earliest scan", () => {
  const item = afterResult({ ...guest, checked_in_at: "2030-03-14T17:05:00Z", door: "South" },
    { outcome: "already_checked_in", checked_in_at: "2030-03-14T17:00:00Z", door: "North" });
  assert.equal(item.checked_in_at, "2030-03-14T17:00:00Z");
  assert.equal(item.door, "North");
  assert.equal(afterResult(undefined, { outcome: "checked_in" }), undefined);
});

test("counts: checked in of expected (confirmed), per door", () => {
  const result = counts([
    { ...guest, checked_in_at: "t", door: "North" },
    { ...guest, code: "c2", checked_in_at: "t", door: "North" },
    { ...guest, code: "c3", checked_in_at: "t", door: null },
    { ...guest, code: "c4" },
    { ...guest, code: "c5", status: "cancelled" },
  ]);
  assert.equal(result.expected, 4);
  assert.equal(result.checkedIn, 3);
  assert.deepEqual(result.doors, [["North", 2], ["", 1]]);
});

test("the device keeps only what the door needs", () => {
  const kept = keptOf({ ...guest, email: "anna@example.com", search: "annaschmidt", job_title: "x" });
  assert.deepEqual(Object.keys(kept).sort(), ["checked_in_at", "code", "door", "name", "organization", "search", "status"]);
});

test("the list expires one day after the event ends", () => {
  const end = "2030-03-14T20:00:00Z";
  assert.equal(expired(end, Date.parse("2030-03-15T19:59:00Z")), false);
  assert.equal(expired(end, Date.parse("2030-03-15T20:01:00Z")), true);
});
