// The tour player's pure helpers: the geometry line shown at a tour's start.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { geometryText, tourModel } from "../tour.js";

const PRESETS = new URL("../../../app/presets/", import.meta.url);

test("the geometry line names the orders and says whether they are x86-64's", () => {
  assert.equal(geometryText({ machine: { max_order: 11, pageblock_order: 9 }, hinting: { min_order: 9 } }),
    "max_order 11, pageblock_order 9, min_order 9: x86-64's geometry");
  assert.equal(geometryText({ machine: { max_order: 5, pageblock_order: 2 }, hinting: { min_order: 2 } }),
    "max_order 5, pageblock_order 2, min_order 2: a shrunken machine (x86-64: 11, 9, 9)");
  // min_order defaults to pageblock_order, as the seed's PAGE_HINTING_MIN_ORDER does.
  assert.match(geometryText({ machine: { max_order: 6, pageblock_order: 3 }, hinting: {} }), /min_order 3: a shrunken/);
});

test("every tour carries its geometry and its x86-64 note into the player", () => {
  const tours = readdirSync(PRESETS).filter((f) => f.startsWith("tour-") && f.endsWith(".json"));
  assert.ok(tours.length >= 16);
  for (const f of tours) {
    const doc = JSON.parse(readFileSync(new URL(f, PRESETS), "utf8"));
    const m = tourModel(doc);
    assert.ok(doc.intro.includes(m.geometry.split(":")[0]), `${f}: the intro names max_order, pageblock_order, min_order`);
    assert.ok(m.x86.includes("x86-64"), `${f}: says whether its lesson happens on x86-64`);
  }
});
