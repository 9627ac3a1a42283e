// Compare mode (issue 11): one scenario, two machines in lockstep, the seed on
// the left and free page reporting (Linux 5.7) on the right.
//
// The server holds the pair (core/pair.py): one history, one cursor, so every
// action, time travel, undo, tour and the audience's following apply to both
// by construction.  A snapshot's `state` and a delta's `changes` are the left
// side's and keep driving the rest of the dashboard (map, events, host,
// inspector); their `pair` part is the right side's, held here in a second
// Store, with both sides' chart samples.  This module is loaded only when a
// session is in compare mode (main.js imports it on first use).
//
// The page panel's hook: every block of the grids and small maps carries
// data-side, data-zone, data-pfn and data-order; a click dispatches
//   document: CustomEvent("hl:block-select", {detail: {sid, side, zone, pfn, order, page}})
// where GET /api/sessions/{sid}/page/{pfn}?side={side} answers for that side
// (side=left, the default, is the session's own machine).

import { mergeDirty, newDirty, Store, StoreError } from "../store.js";
import { esc } from "../util.js";
import { Charts } from "./charts.js";
import { loadCss } from "./css.js";
import { sizeOf, watchSize } from "./measure.js";
import { differences } from "./differ.js";
import { Series } from "./series.js";
import { SidePanel, sharedGeometry } from "./side.js";


export class Compare {
  constructor(ctx) {
    this.ctx = ctx;
    this.right = new Store();
    this.series = new Series();
    this.active = false;
    this.pending = newDirty();
    this.selected = null;
    this.last = { step: null, results: null, events: { left: [], right: [] }, inserted: null, holds: null, index: -1 };
    this.holdsSeen = { left: 0, right: 0 };
    this.lastDraw = 0;
    loadCss();
    this._build();
  }

  get zone() { return this.ctx.ui.zone; }

  otherStore(side) { return side === "left" ? this.right : this.ctx.store; }

  orderOf(store, z, pfn) {
    const key = z.freeIndex.get(pfn);
    return key === undefined ? null : +key.slice(0, key.indexOf("/"));
  }

  _build() {
    const host = document.querySelector(".col.left");
    const area = document.createElement("section");
    area.className = "compare-area";
    area.setAttribute("data-testid", "compare");
    area.setAttribute("aria-label", "compare mode: the seed and free page reporting side by side");
    area.innerHTML = `<div class="cmp-sides"><div></div><div></div></div>` +
      `<div class="cmp-differs panel" data-testid="compare-differs" aria-live="polite"></div>` +
      `<div class="cmp-charts panel" data-testid="compare-chart"><div class="panel-head"><h2>over the history</h2>` +
      `<span class="hint">seed <i class="cl solid"></i> · reporting <i class="cl dashed"></i> · x: steps (virtual time in the hover) · ` +
      `<i class="cl band"></i> a batch out · <span class="drift">▲</span> drift · the ink line is the step shown</span></div><div class="cmp-chart-grid"></div></div>`;
    host.prepend(area);
    this.area = area;
    const [l, r] = area.querySelectorAll(".cmp-sides > div");
    this.sides = { left: new SidePanel(l, "left", this.ctx.store, this), right: new SidePanel(r, "right", this.right, this) };
    this.differsEl = area.querySelector(".cmp-differs");
    this.charts = new Charts(area.querySelector(".cmp-chart-grid"), this.series, this.ctx);
    // Only a new width changes what fits (the height follows the content: redrawing on it would loop).
    let width = 0;
    watchSize(area, () => {
      const w = sizeOf(area).w;
      if (w !== width) { width = w; this.ctx.invalidate({ compare: true, now: true, layout: true }); }
    });
  }

  // --- messages (main.js passes every snapshot and delta) ---------------------------------

  onMessage(msg) {
    if (msg.type === "snapshot") {
      if (!msg.pair) { this.setActive(false); return; }
      this.setActive(true);
      this.right.load(msg.pair.state);
      this.series.load(msg.pair.samples);
      this.pending = newDirty(true);
      this.last = { step: null, results: null, events: { left: [], right: [] }, inserted: null, holds: null, index: -1 };
      this.holdsSeen = { left: this._holds(this.ctx.store), right: this._holds(this.right) };
      this._keepLeftLists();
      this.ctx.invalidate({ layout: true });
      return;
    }
    const p = msg.pair;
    if (!p || !this.active) return;
    let d;
    try {
      d = this.right.apply(p.changes);
    } catch (err) {
      if (err instanceof StoreError) { this.ctx.conn.resync(); return; }
      throw err;
    }
    mergeDirty(this.pending, d);
    this.series.add(p.samples);
    if (msg.steps?.length) {
      const s = msg.steps[msg.steps.length - 1];
      const rr = p.results?.find((r) => r.index === s.index)?.result ?? null;
      const zone = this.zone;
      const ins = (dirty) => dirty?.zones.get(zone)?.inserted ?? new Map();
      const leftDirty = { zones: new Map([[zone, { inserted: this._leftInserted(msg.changes, zone) }]]) };
      const holds = { left: this._newHolds(this.ctx.store, "left"), right: this._newHolds(this.right, "right") };
      this.last = {
        step: s.step, index: s.index, results: { left: s.result, right: rr ?? s.result },
        events: { left: (msg.events ?? []).filter((e) => e.step === s.index), right: (p.events ?? []).filter((e) => e.step === s.index) },
        inserted: { left: ins(leftDirty), right: ins(d) }, holds,
      };
    }
    this.ctx.invalidate({ compare: true, now: true });
  }

  /**
   * The blocks a delta put on the left side's lists of hinting orders (the left store has applied it
   * already): each changed list against the copy kept from the last delta.
   */
  _leftInserted(changes, zone) {
    const out = new Map();
    const z = this.ctx.store.zone(zone);
    const min = this.ctx.store.config.hinting.min_order;
    if (!z) return out;
    if (this._prevZone !== zone) { this._prev = new Map(); this._prevZone = zone; }
    for (const key of Object.keys(changes?.zones?.[zone]?.lists ?? {})) {
      if (+key.slice(0, key.indexOf("/")) < min) continue;
      const now = z.lists.get(key) ?? [];
      const before = this._prev.get(key);
      if (before) {
        const added = now.filter((p) => !before.has(p));
        if (added.length) out.set(key, new Set(added));
      }
      this._prev.set(key, new Set(now));
    }
    return out;
  }

  _keepLeftLists() {
    const z = this.ctx.store.zone(this.zone);
    this._prev = new Map();
    this._prevZone = this.zone;
    if (!z) return;
    const min = this.ctx.store.config.hinting.min_order;
    for (const [key, pfns] of z.lists) if (+key.slice(0, key.indexOf("/")) >= min) this._prev.set(key, new Set(pfns));
  }

  _holds(store) { return store.hinting?.costs?.lock?.holds ?? 0; }

  _newHolds(store, side) {
    const lock = store.hinting?.costs?.lock;
    const now = lock?.holds ?? 0;
    const n = Math.max(0, Math.min(now - this.holdsSeen[side], lock?.recent?.length ?? 0));
    this.holdsSeen[side] = now;
    return n ? lock.recent.slice(-n) : [];
  }

  setActive(on) {
    if (on === this.active) return;
    this.active = on;
    const root = document.documentElement;
    if (on) root.dataset.compare = "1"; else delete root.dataset.compare;
    this.area.hidden = !on;
    this.ctx.invalidate({ layout: true, full: true });
  }

  // --- the page panel's hook --------------------------------------------------------------

  /** `page`: the page clicked (a small map's may be a tail), `pfn` its block's head. */
  select(side, zone, pfn, order, page = pfn) {
    this.selected = { side, zone, pfn, order };
    // The left side is the dashboard's own machine: selecting there selects in the map and the inspector
    // too, and actions.selectBlock sends the event.
    if (side === "left") this.ctx.actions.selectBlock(page);
    else document.dispatchEvent(new CustomEvent("hl:block-select", { detail: { sid: this.ctx.sessionId, side, zone, pfn, order, page } }));
    this.ctx.invalidate({ compare: true, now: true, selection: true });
  }

  // --- drawing (once per animation frame, from frame.js) ---------------------------------

  render(d) {
    if (!this.active || !this.right.loaded || !this.ctx.store.loaded) return;
    const now = performance.now();
    const busy = this.ctx.ui.busy;
    const urgent = d.full || d.layout || d.selection || d.zoneChanged;
    // While a workload runs, the grids redraw ~4 times a second and the charts ~2: the eye follows no more,
    // and every frame left to the browser keeps the page smooth.
    if (busy && !urgent && now - this.lastDraw < 250) {
      if (!this._later) this._later = setTimeout(() => { this._later = 0; this.ctx.invalidate({ compare: true, now: true }); }, 260);
      return;
    }
    this.lastDraw = now;
    // Each side's width from the area's (observed, not measured here: no layout forced mid-frame).
    const areaW = sizeOf(this.area).w || 960;
    const two = areaW > 900 || document.documentElement.dataset.embed === "1"; // compare.css: side by side
    const width = Math.max(240, areaW / (two ? 2 : 1) - 6);
    const geom = sharedGeometry([this.ctx.store, this.right], this.zone, width);
    this.sides.left.render(geom);
    this.sides.right.render(geom);
    if (!busy || now - (this.lastCharts ?? 0) > 500 || urgent) {
      this.lastCharts = now;
      this.charts.draw();
    }
    this._differs();
    this.pending = newDirty();
  }

  _differs() {
    const tl = this.ctx.timeline;
    const fresh = this.last.index === tl.cursor - 1;
    const items = differences({
      left: this.ctx.store, right: this.right, zone: this.zone,
      ...(fresh ? { step: this.last.step, results: this.last.results, events: this.last.events, inserted: this.last.inserted, holds: this.last.holds } : {}),
    });
    const head = `<b>what differs at step ${tl.cursor}</b>`;
    const html = `${head}${items.slice(0, 4).map((it) => `<span class="df" data-kind="${esc(it.kind)}">${esc(it.text)}</span>`).join("")}`;
    if (html !== this._lastDiff) { this.differsEl.innerHTML = html; this._lastDiff = html; }
  }
}
