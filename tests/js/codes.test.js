import { test } from "node:test";
import assert from "node:assert/strict";
import { extractCode, isCode } from "../../eventsvc/static/door/codes.js";

const CODE = "Qx3b_9-aZk2LmN0pQrStUvWxYz0123456789abcdEF";

test("a code is taken as it is, trimmed", () => {
  assert.equal(extractCode(`  ${CODE}\n`), CODE);
});

test("a pasted URL gives the code in its last path segment or in ?code=", () => {
  assert.equal(extractCode(`https://events.example/checkin/${CODE}`), CODE);
  assert.equal(extractCode(`https://events.example/checkin/${CODE}/`), CODE);
  assert.equal(extractCode(`https://events.example/door?code=${CODE}&x=1`), CODE);
});

test("only what has the shape of a code is one", () => {
  assert.ok(isCode(CODE));
  assert.ok(!isCode("short"));
  assert.ok(!isCode(`${CODE}!`));
  assert.ok(!isCode(""));
  assert.equal(extractCode(""), "");
  assert.equal(extractCode(null), "");
});
