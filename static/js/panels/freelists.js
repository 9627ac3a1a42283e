// The free-area grid's model: which columns and rows a zone shows, and what
// each free list's cell draws, head to tail.  The live grid (views/freearea.js)
// and the SVG export (export/svg.js) both draw from it, so what a picture
// shows (elision, the boundary marker and its kind, staleness, anomaly rings)
// is decided once.  Pure functions over a Store (store.js), no DOM.

import { MIGRATETYPES } from "../palette.js";
import { summarise } from "../summarise.js";
import { zoneFlags } from "./zonehead.js";

/** The migratetype columns of zone `z`: pageblock count, longest list, and whether the column is empty. */
export function columnsOf(store, z) {
  const max = store.config.max_order;
  const pb = Object.fromEntries(MIGRATETYPES.map((m) => [m, 0]));
  for (const m of z.pageblocks) pb[m] = (pb[m] ?? 0) + 1;
  return MIGRATETYPES.map((mt) => {
    let longest = 0;
    for (let o = 0; o < max; o++) longest = Math.max(longest, z.lists.get(`${o}/${mt}`)?.length ?? 0);
    return { mt, pageblocks: pb[mt], longest, empty: pb[mt] === 0 && longest === 0 };
  });
}

/** The order rows, highest first: pages per block, nr_free, marked count (null below min_order or before the first cycle; reporting's counted here). */
export function rowsOf(store, z) {
  const max = store.config.max_order;
  const min = store.config.hinting.min_order;
  const counted = store.markedField === "reported"; // no hinted_pages
  const rows = [];
  for (let o = max - 1; o >= 0; o--) {
    let blocks = 0;
    let marked = 0;
    for (const mt of MIGRATETYPES) {
      const list = z.lists.get(`${o}/${mt}`) ?? [];
      blocks += list.length;
      if (counted && o >= min) for (const p of list) if (z.hinted.has(p)) marked++;
    }
    rows.push({
      order: o, pages: 1 << o, nrFree: z.nrFree[o], blocks, below: o < min,
      hinted: o < min ? null : counted ? marked : z.hintedPages ? z.hintedPages[o - min] : null,
      hintedKnown: o >= min && (counted || !!z.hintedPages),
    });
  }
  return rows;
}

/** The rows below min_order in one line: "o0–o2", their blocks. */
export function foldedBelow(rows) {
  const below = rows.filter((r) => r.below);
  if (!below.length) return null;
  const lo = below.at(-1).order;
  const hi = below[0].order;
  return { orders: below.map((r) => r.order), label: lo === hi ? `o${lo}` : `o${lo}–o${hi}`,
    blocks: below.reduce((s, r) => s + r.blocks, 0) };
}

/**
 * One free list's cell.
 * @param {object} store  a loaded Store
 * @param {object} z      the store's zone
 * @param {number} order
 * @param {string} mt
 * @param {object} [opts] budget (chips that fit), elidedCost (an elided chip's width in chips), focus (pfns to keep)
 * @returns {{list:number[], n:number, segs:Array, marker:null|{kind:string,index:number,target:(number|"head"),active:boolean,walk?:object},
 *   anomaly:boolean, ring:Set<number>}}
 *   segs: {kind:"block", index, pfn, hinted, marker?} | {kind:"elided", start, count, hinted}; `marker` on the block
 *   the boundary stands before.  marker.kind: "block" (before segs' block at index), "head" (end of row, a hook),
 *   "empty" (a short bar on an empty list), "stale" (the block it names left this list: server-marked), "walk"
 *   (reporting's walk position, walkOf).
 */
export function cellModel(store, z, order, mt, opts = {}) {
  const list = z.lists.get(`${order}/${mt}`) ?? [];
  const n = list.length;
  const b = store.boundary(order, mt);
  const active = zoneFlags(store, z).active;
  let marker = null;
  let bIndex = -1;
  const w = b ? null : walkOf(store, z.name, order, mt);
  if (w) {
    bIndex = list.indexOf(w.pfn);
    if (bIndex >= 0) marker = { kind: "walk", index: bIndex, target: w.pfn, active: true, walk: w };
  } else if (b && b.zone === z.name) {
    if (b.stale) marker = { kind: "stale", index: -1, target: b.pfn, active };
    else if (b.pfn === null) {
      bIndex = n;
      marker = { kind: n ? "head" : "empty", index: n, target: "head", active };
    } else {
      bIndex = list.indexOf(b.pfn);
      if (bIndex >= 0) marker = { kind: "block", index: bIndex, target: b.pfn, active };
    }
  }
  const ring = new Set();
  let anomaly = false;
  for (const a of store.anomalies ?? []) {
    if (a.zone === z.name && a.order === order && a.migratetype === mt) {
      anomaly = true;
      if (a.pfn !== null && a.pfn !== undefined) ring.add(a.pfn);
    }
  }
  const want = new Set([...ring, ...(opts.focus ?? [])]);
  const focus = [];
  if (want.size) for (let i = 0; i < n; i++) if (want.has(list[i])) focus.push(i);
  const segs = summarise(n, { budget: opts.budget ?? 12, boundary: bIndex, focus, elidedCost: opts.elidedCost ?? 2 })
    .map((s) => {
      if (s.kind === "block") return { kind: "block", index: s.index, pfn: list[s.index], hinted: z.hinted.has(list[s.index]) };
      let h = 0;
      for (let i = s.start; i < s.start + s.count; i++) if (z.hinted.has(list[i])) h++;
      return { kind: "elided", start: s.start, count: s.count, hinted: h };
    });
  return { list, n, segs, marker, anomaly, ring };
}

/** Reporting's walk position of a list: the block its next cycle isolates first ({pfn, skipped}), or undefined. */
export function walkOf(store, zone, order, mt) {
  return (store.hinting?.walk ?? []).find((w) => w.zone === zone && w.order === order && w.migratetype === mt);
}

/** The flag above a marker, in words. */
export function markerLabel(m) {
  if (!m) return "";
  return m.kind === "head" ? "head" : m.kind === "empty" ? "—" : m.kind === "stale" ? `stale → ${m.target}` : "boundary";
}
