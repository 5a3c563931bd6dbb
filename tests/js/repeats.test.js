import { test } from "node:test";
import assert from "node:assert/strict";
import { repeatFilter } from "../../eventsvc/static/door/repeats.js";

test("the same code within seconds of its last sighting is one scan; after a pause, a new one", () => {
  const seen = repeatFilter(4000);
  assert.equal(seen("a", 0), false);
  assert.equal(seen("a", 1000), true);
  assert.equal(seen("b", 1500), false);
  assert.equal(seen("a", 4500), true);    // held in front of the camera: still the same scan
  assert.equal(seen("a", 9000), false);   // shown again after a pause
  assert.equal(seen("b", 9000), false);
});
