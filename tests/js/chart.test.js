import { test } from "node:test";
import assert from "node:assert/strict";
import { CHART, barLayout } from "../../eventsvc/static/door/chart.js";

const plotHeight = CHART.height - CHART.top - CHART.bottom;

test("the busiest five minutes fill the plot's height, the others in proportion, an empty one has no height", () => {
  const { peak, bars } = barLayout([4, 0, 2]);
  assert.equal(peak, 4);
  assert.deepEqual(bars.map((bar) => bar.height), [plotHeight, 0, plotHeight / 2]);
  assert.deepEqual(bars.map((bar) => bar.y + bar.height), Array(3).fill(CHART.top + plotHeight));
});

test("a few slots stay bar-wide, many share the width, each bar after the one before", () => {
  const few = barLayout([1, 1]);
  assert.equal(few.slot, CHART.maxSlot);
  assert.ok(Math.abs(few.bars[1].x - few.bars[0].x - CHART.maxSlot) < 1e-9);
  const many = barLayout(Array(118).fill(1));
  assert.equal(many.slot, (CHART.width - CHART.left - CHART.right) / 118);
  assert.ok(many.bars.at(-1).x + many.bars.at(-1).width <= CHART.width - CHART.right);
});

test("no arrivals: no bars", () => {
  assert.deepEqual(barLayout([]).bars, []);
});
