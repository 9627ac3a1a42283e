// One zone of a hinting-state/1 document as a standalone SVG, for slides: zone
// header, free-area grid with boundary markers, in-flight batch, memory map.
// Pure strings (no DOM, runs in node), deterministic.  DESIGN.md encodings;
// colour is never the only channel (hatch = Hinted, dots + dashes = in flight,
// hollow lamp = off, dashed bar = boundary while ACTIVE is off, ▲ = anomaly).
//
// The document is loaded into a Store (store.js), as the live page holds it,
// and each panel is drawn from the panel models the live views use
// (panels/*.js); the modules here only lay them out as SVG.

import { summarise } from "../summarise.js";
import { Store } from "../store.js";
import { batchRows, drawBatch } from "./svg-batch.js";
import { drawFreeLists } from "./svg-freelists.js";
import { drawMemMap } from "./svg-memmap.js";
import { drawTopBar, drawZoneHeader } from "./svg-zone.js";
import "../terms-reporting.js"; // a picture of a reporting state outside the dashboard (which loads them first) too
import { Kit, THEMES, ceil, esc, max, ms1, rect, round } from "./svgkit.js";

/**
 * Which entries of a long free list stay visible (summarise.js, in the shape older callers know):
 * [{index}] for a block shown, [{start, count}] for a run elided.
 */
export function elide(n, budget, elidedCost = 2, boundary = -1) {
  return summarise(n, { budget: max(3, Math.floor(budget)), elidedCost, boundary })
    .map((s) => (s.kind === "block" ? { index: s.index } : { start: s.start, count: s.count }));
}

function setup(state, options) {
  if (!state || !Array.isArray(state.zones) || !state.config) throw new Error("renderStateSvg: not a hinting-state/1 document");
  const theme = options.theme ?? "light";
  if (!Object.hasOwn(THEMES, theme)) throw new Error(`renderStateSvg: unknown theme ${theme}`);
  const zname = options.zone ?? state.hinting?.work?.zone ?? state.zones[0]?.name;
  if (!state.zones.some((z) => z.name === zname)) throw new Error(`renderStateSvg: no zone named ${zname}`);
  const store = new Store();
  store.load(state);
  const id = String(options.idPrefix ?? "hl").replace(/[^\w-]/g, "") || "hl";
  return new Kit(store, store.zone(zname), { theme, width: max(480, round(options.width ?? 1280)), idPrefix: id });
}

/** Rows the batch lane takes when the batch is full: an animation reserves them (`batchRows`) in every frame. */
export function layoutOf(state, options = {}) {
  return { batchRows: batchRows(setup(state, options)) };
}

/**
 * Draw one zone of a hinting-state/1 document as a standalone SVG document.
 * Why: slides and bug reports need a still picture like the dashboard without a
 * browser session; deterministic, so exports diff cleanly and tests compare strings.
 *
 * @param {object} state  a hinting-state/1 document (`python -m core replay` prints it under "state")
 * @param {object} [options]
 * @param {string} [options.zone]   zone name (default: the zone being cycled, else the first)
 * @param {number} [options.width]  pixels (default 1280, at least 480); the height follows the content
 * @param {"light"|"dark"|"projector"} [options.theme]  default "light"
 * @param {string} [options.title]  shown in the top bar
 * @param {string} [options.idPrefix] prefix of pattern ids (default "hl"), to inline several pictures in one page
 * @param {number} [options.batchRows] keep the batch lane this many rows tall, drawn even when empty
 *                                     (the frames of an animation then share one layout: layoutOf)
 * @returns {string} an SVG document (xmlns, width, height, viewBox)
 */
export function renderStateSvg(state, options = {}) {
  const K = setup(state, options);
  drawTopBar(K, options.title);
  drawZoneHeader(K);
  drawFreeLists(K);
  drawBatch(K, options.batchRows ?? 0);
  drawMemMap(K);
  const { W, T, theme, z } = K;
  const H = ceil(K.y + T.pad);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Inter, system-ui, sans-serif"` +
    ` data-zone="${esc(z.name)}" data-theme="${theme}"><title>${esc(`Hinting Lab · zone ${z.name} · t ${ms1(state.now_ms)} ms${options.title ? ` · ${options.title}` : ""}`)}</title><defs>` +
    `${K.defs()}</defs>${rect(0, 0, W, H, T.bg)}${K.out.join("")}</svg>`;
}
