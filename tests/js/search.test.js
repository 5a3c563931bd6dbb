import { test } from "node:test";
import assert from "node:assert/strict";
import { matches, search, searchForm, withFoldedKeys } from "../../eventsvc/static/door/search.js";

// Keys as the server writes them (docs/architecture.md, "The door"): the search form of the
// name both ways round, in toneless pinyin, with ASCII umlauts; the organization; the address.
const wang = withFoldedKeys({ code: "w", name: "王丽", organization: "上海汽车", status: "confirmed",
  search: "王丽 丽王 wangli liwang 上海汽车 shanghaiqiche wangliexamplecn" });
const mueller = withFoldedKeys({ code: "m", name: "Jürgen Müller", organization: "Siemens AG", status: "confirmed",
  search: "mullerjurgen muellerjuergen jurgenmuller juergenmueller siemensag jmexamplede",
  checked_in_at: "2030-03-14T17:02:00Z" });
const people = [wang, mueller];

test("typed text is put in the server's search form", () => {
  assert.equal(searchForm("  Müller-Lüdenscheidt "), "mullerludenscheidt");
  assert.equal(searchForm("Straße"), "strasse");
  assert.equal(searchForm("Wang Li"), "wangli");
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
  assert.ok(!matches(mueller, "meier"));
});

test("results put those not yet checked in first, and an empty query finds nobody", () => {
  const both = search(people, "example");
  assert.deepEqual(both.map((p) => p.code), ["w", "m"]);
  assert.deepEqual(search(people, "   "), []);
});
