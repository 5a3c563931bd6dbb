import { test } from "node:test";
import assert from "node:assert/strict";
import { fold, matches, search, withFoldedKeys } from "../../eventsvc/static/door/search.js";

// Keys as the server writes them: toneless pinyin both ways round, ASCII spellings of umlauts.
const wang = withFoldedKeys({ code: "w", name: "王丽", organization: "上海汽车", status: "confirmed",
  search_keys: ["wang li", "li wang", "wangli", "shanghai qiche"] });
const mueller = withFoldedKeys({ code: "m", name: "Jürgen Müller", organization: "Siemens AG", status: "confirmed",
  search_keys: ["jurgen muller", "juergen mueller", "siemens ag", "muenchen"], checked_in_at: "2030-03-14T17:02:00Z" });
const people = [wang, mueller];

test("typed text is folded as the keys are", () => {
  assert.equal(fold("  Müller-Lüdenscheidt "), "muller ludenscheidt");
  assert.equal(fold("Straße"), "strasse");
});

test("pinyin finds a Chinese name in either order, spaced or not", () => {
  for (const query of ["wang li", "wangli", "li wang", "Wang", "王丽", "王"]) {
    assert.ok(matches(wang, query), query);
  }
  assert.ok(!matches(wang, "wang xiao"));
});

test("ASCII spellings find an umlaut", () => {
  for (const query of ["mueller", "muller", "Müller", "juergen m", "siemens"]) {
    assert.ok(matches(mueller, query), query);
  }
});

test("results put those not yet checked in first, and an empty query finds nobody", () => {
  const both = search(people, "s");   // in "siemens" and "shanghai"
  assert.deepEqual(both.map((p) => p.code), ["w", "m"]);
  assert.deepEqual(search(people, "   "), []);
});
