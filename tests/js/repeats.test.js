import { test } from "node:test";
import assert from "node:assert/strict";
import { repeatFilter } from "../../eventsvc/static/door/repeats.js";

test("the same code within the window is one scan; after it, a new one", () => {
  const seen = repeatFilter(4000);
  assert.equal(seen("a", 0), false);
  assert.equal(seen("a", 1000), true);
  assert.equal(seen("b", 1500), false);
  assert.equal(seen("a", 4000), false);
  assert.equal(seen("a", 7000), true);
});
