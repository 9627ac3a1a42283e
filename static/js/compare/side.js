// One machine of a compare session: its header (design, state in words,
// NR_FREE_PAGES with what a batch hides), its free lists (the same grid
// geometry on both sides, row for row), its batch, its zone-lock lane and a
// small memory map.  The seed shows Hinted blocks and its boundaries;
// reporting shows Reported blocks (the hatch mirrored) and, per list, its walk
// position (`next ▸` before the entry the next cycle isolates first).  Blocks
// marked on one side and not the other get a dotted ink outline on both.
//
// Every block (grid and map) carries data-side, data-zone, data-pfn,
// data-order; a click dispatches `hl:block-select` on document (the page
// panel's hook; see compare/index.js).

import { MIGRATETYPES, MT_HEX } from "../palette.js";
import { PAGE_HINTED, PAGE_INFLIGHT } from "../store.js";
import { summarise } from "../summarise.js";
import { esc, num } from "../util.js";
import { LockLane } from "./locklane.js";
import { palette, sizeOf, watchSize } from "./measure.js";

const TITLES = {
  seed: ["seed · page hinting", "boundary[order][mt] · Hinted"],
  reporting: ["free page reporting (5.7)", "walk from the head · rotate · budget · Reported"],
};

export class SidePanel {
  constructor(root, side, store, cmp) {
    this.root = root;
    this.side = side;
    this.store = store;
    this.cmp = cmp;
    root.className = "cmp-side panel";
    root.dataset.side = side;
    root.setAttribute("data-testid", `compare-${side}`);
    root.innerHTML = `<div class="cs-head"></div><div class="cs-grid"></div><div class="cs-batch mono"></div>` +
      `<div class="cs-lane"></div><canvas class="cs-map" aria-label="memory map of this side: click a block"></canvas>`;
    this.head = root.querySelector(".cs-head");
    this.grid = root.querySelector(".cs-grid");
    this.batchEl = root.querySelector(".cs-batch");
    this.lane = new LockLane(root.querySelector(".cs-lane"), store, "", side);
    this.map = root.querySelector(".cs-map");
    watchSize(this.map, () => cmp.ctx.invalidate({ compare: true, now: true }));
    this.grid.addEventListener("click", (e) => this._click(e));
    this.map.addEventListener("click", (e) => this._mapClick(e));
    this.map.addEventListener("mousemove", (e) => { this.map.title = this._mapBlockText(e); });
  }

  get design() { return this.store.config?.hinting?.design ?? "seed"; }

  render(geom) {
    const store = this.store;
    if (!store.loaded) return;
    const z = store.zone(this.cmp.zone);
    if (!z) return;
    this.root.dataset.design = this.design;
    this._head(z);
    this._grid(z, geom);
    this._batch();
    this.lane.label = "";
    this.lane.render();
    this._drawMap(z);
  }

  _head(z) {
    const store = this.store;
    const h = store.hinting ?? {};
    const [title, sub] = TITLES[this.design] ?? [this.design, ""];
    const onLists = store.freePages(z);
    const batch = z.batchPages ?? 0;
    const drift = (store.anomalies ?? []).filter((a) => a.kind === "nr_free_pages_drift" && a.zone === z.name)
      .reduce((n, a) => n + (a.pages ?? 0), 0);
    const marked = [...z.hinted].reduce((s, p) => s + (1 << (this.cmp.orderOf(store, z, p) ?? 0)), 0);
    const work = h.work ?? {};
    const phase = work.phase && work.phase !== "idle" ? `stopped at ${work.phase}` : work.pending ? `due at ${work.due_ms} ms` : "idle";
    const kv = (k, v, cls = "") => `<div class="kv ${cls}"><span class="k">${k}</span><span class="v">${v}</span></div>`;
    const parts = [`<div class="cs-title"><h3>${esc(title)}</h3><span class="hint">${esc(sub)}</span></div><div class="cs-kvs">`];
    if (this.design === "seed") {
      const f = z.flags ?? {};
      parts.push(`<span class="lamp" data-on="${!!f.requested}"><i></i>REQUESTED</span><span class="lamp" data-on="${!!f.active}"><i></i>ACTIVE</span>`);
    } else {
      parts.push(kv("state", esc(h.state ?? "–"), "big"));
      if (work.budget !== null && work.budget !== undefined) parts.push(kv("budget", num(work.budget)));
    }
    parts.push(kv("work", esc(h.enabled ? phase : "off")));
    parts.push(kv("NR_FREE_PAGES", `${num(z.nrFreePages)}` +
      (batch ? ` <small class="gap" data-testid="nr-gap" title="free pages in the batch: NR_FREE_PAGES does not count them while they are out">−${num(batch)} in batch</small>` : "") +
      (drift ? ` <small class="drift" data-testid="nr-drift" title="pages NR_FREE_PAGES is short for good">▲ −${num(drift)} drift</small>` : ""), "nfp"));
    parts.push(kv(this.design === "seed" ? "Hinted" : "Reported", `${num(marked)} pg`, "marked"));
    parts.push("</div>");
    const html = parts.join("");
    if (html !== this._lastHead) { this.head.innerHTML = html; this._lastHead = html; }
    this.root.dataset.nrFreePages = z.nrFreePages;
    this.root.dataset.onLists = onLists;
    this.root.dataset.batchPages = z.batchPages ?? 0;
  }

  _grid(z, geom) {
    const store = this.store;
    const { cols, rows, fold, budgetOf } = geom;
    const other = this.cmp.otherStore(this.side);
    const oz = other?.zone(z.name);
    const differs = (pfn) => !!oz && z.hinted.has(pfn) !== oz.hinted.has(pfn);
    const walk = new Map();
    for (const w of store.hinting?.walk ?? []) if (w.zone === z.name) walk.set(`${w.order}/${w.migratetype}`, w);
    const sel = this.cmp.selected;
    const tracks = cols.map((mt) => (mt === "Movable" ? "minmax(0, 3fr)" : "minmax(0, 1fr)")).join(" ");
    const parts = [`<div class="cs-table" style="grid-template-columns: 4.2rem ${tracks}">`, `<div class="cs-ch gut">order</div>`];
    for (const mt of cols) parts.push(`<div class="cs-ch">${mt}</div>`);
    const cell = (order, mt) => {
      const key = `${order}/${mt}`;
      const list = z.lists.get(key) ?? [];
      const n = list.length;
      let marker = null;
      let mIndex = -1;
      if (this.design === "seed") {
        const b = store.boundary(order, mt);
        if (b && b.zone === z.name && !b.stale) {
          if (b.pfn === null) marker = { kind: n ? "head" : "empty" };
          else { mIndex = list.indexOf(b.pfn); if (mIndex >= 0) marker = { kind: "block" }; }
        }
      } else {
        const w = walk.get(key);
        if (w) { mIndex = list.indexOf(w.pfn); if (mIndex >= 0) marker = { kind: "walk", skipped: w.skipped }; }
      }
      const focus = [];
      for (let i = 0; i < n && focus.length < 4; i++) if (differs(list[i]) || list[i] === sel?.pfn) focus.push(i);
      // A marker in the row takes about a block's room (its flag, or the walk's chip).
      const budget = Math.max(2, budgetOf(mt) - (marker && marker.kind !== "empty" ? 1 : 0));
      const segs = summarise(n, { budget, boundary: mIndex, focus, elidedCost: 1.6 });
      const out = [];
      for (const [at, s] of segs.entries()) {
        if (s.kind === "block") {
          const pfn = list[s.index];
          if (marker && s.index === mIndex) {
            // In the row's right half the flag runs left, over the blocks before it, not out of the cell.
            const flip = at > 0 && at >= segs.length / 2 ? " flip" : "";
            out.push(marker.kind === "walk"
              ? `<span class="cs-next" data-testid="walk-position" data-pfn="${pfn}" title="the walk position: the next cycle of o${order} ${mt} isolates ${pfn} first${marker.skipped ? `, after reading ${marker.skipped} Reported entr${marker.skipped === 1 ? "y" : "ies"}` : ""}">next ▸</span>`
              : `<span class="cs-bnd${flip}" data-testid="boundary" data-target="${pfn}" title="boundary[${order}][${mt}] → ${pfn}"><b>boundary</b></span>`);
          }
          const m = z.hinted.has(pfn);
          const d = differs(pfn);
          out.push(`<span class="blk${sel && sel.side === this.side && sel.pfn === pfn ? " sel" : ""}" data-testid="cmp-block" data-side="${this.side}" ` +
            `data-design="${this.design}" data-zone="${esc(z.name)}" data-pfn="${pfn}" data-order="${order}" data-migratetype="${mt}" ` +
            `data-hinted="${m}"${d ? ' data-differs="true"' : ""} tabindex="-1" title="pfn ${pfn} · order ${order} · ${mt}` +
            `${m ? (this.design === "seed" ? " · Hinted" : " · Reported") : ""}${d ? " · marked differently on the other side" : ""}">${pfn}</span>`);
        } else {
          let h = 0;
          let dd = 0;
          for (let i = s.start; i < s.start + s.count; i++) { if (z.hinted.has(list[i])) h++; if (differs(list[i])) dd++; }
          out.push(`<span class="elided" title="${s.count} blocks not shown${h ? `, ${h} marked` : ""}${dd ? `, ${dd} marked differently` : ""}">…${num(s.count)}…</span>`);
        }
      }
      if (!n) out.push(marker?.kind === "empty" ? `<span class="cs-bnd empty" title="boundary → list head (empty)"></span><span class="none">—</span>` : `<span class="none">—</span>`);
      if (marker?.kind === "head") out.push(`<span class="cs-bnd head" data-testid="boundary" data-target="head" title="boundary[${order}][${mt}] → list head"><b>head</b></span>`);
      return `<div class="cs-fl" data-order="${order}" data-migratetype="${mt}" data-count="${n}">${out.join("")}</div>`;
    };
    for (const r of rows) {
      parts.push(`<div class="cs-gut"><b>o${r}</b> <span class="nf mono" title="nr_free">${num(z.nrFree[r])}</span></div>`);
      for (const mt of cols) parts.push(cell(r, mt));
    }
    if (fold) {
      let blocks = 0;
      for (const o of fold.orders) blocks += z.nrFree[o];
      parts.push(`<div class="cs-gut fold"><b>${fold.label}</b></div><div class="cs-fold" style="grid-column: span ${cols.length}">` +
        `not ${this.design === "seed" ? "hinted" : "reported"} (below min_order) · ${num(blocks)} free block${blocks === 1 ? "" : "s"}</div>`);
    }
    parts.push("</div>");
    const html = parts.join("");
    if (html !== this._lastGrid) { this.grid.innerHTML = html; this._lastGrid = html; }
  }

  _batch() {
    const h = this.store.hinting ?? {};
    const batch = h.batch ?? [];
    const phase = h.work?.phase ?? "idle";
    const text = batch.length
      ? `<b>batch</b> ${batch.slice(0, 6).map((b, i) => `<span class="bb" data-testid="cmp-batch-block" data-pfn="${b.pfn}">sg[${i}] ${b.pfn} o${b.order}</span>`).join(" · ")}` +
        `${batch.length > 6 ? ` · … ${batch.length - 6} more` : ""} → host · ${esc(phase)}`
      : `<b>batch</b> <span class="hint">empty${phase !== "idle" ? ` · ${esc(phase)}` : ""}</span>`;
    if (text !== this._lastBatch) { this.batchEl.innerHTML = text; this._lastBatch = text; }
  }

  // --- the small memory map ------------------------------------------------------------

  _drawMap(z) {
    const c = this.map;
    const { w, h } = sizeOf(c);
    if (!w || !h) return;
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const pages = z.pages;
    const cells = Math.min(pages, w * h);
    const per = Math.ceil(pages / cells);
    const cols = Math.min(w, Math.ceil(Math.sqrt((cells * w) / h)));
    const nrows = Math.ceil(Math.ceil(pages / per) / cols);
    const cw = w / cols;
    const ch = h / nrows;
    this._mapGeom = { per, cols, cw, ch, z };
    // One pixel a cell in an ImageData, scaled up without smoothing: a 1 GiB zone costs a pass over its
    // page codes and one drawImage, not thousands of fillRects.
    const pal = palette();
    const rgba = (hex) => {
      const v = parseInt(hex.replace("#", "").slice(0, 6), 16);
      return (255 << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff); // little-endian ABGR
    };
    const colour = [rgba(pal.free), ...MT_HEX.map(rgba)];
    const hinted = rgba(pal.hinted);
    const infl = rgba(pal.inflight);
    if (!this._img || this._img.width !== cols || this._img.height !== nrows) {
      this._img = new ImageData(cols, nrows);
      this._off = new OffscreenCanvas(cols, nrows);
    }
    const px = new Uint32Array(this._img.data.buffer);
    px.fill(colour[0]);
    const page = z.page;
    for (let i = 0, cell = 0; i < pages; i += per, cell++) {
      let code = 0;
      const end = Math.min(pages, i + per);
      for (let j = i; j < end; j++) {
        const p = page[j];
        if (p === PAGE_INFLIGHT) { code = p; break; }
        if (p === PAGE_HINTED) code = p;
        else if (p && code !== PAGE_HINTED) code = p;
      }
      if (code) px[cell] = code === PAGE_INFLIGHT ? infl : code === PAGE_HINTED ? hinted : colour[code] ?? colour[0];
    }
    this._off.getContext("2d").putImageData(this._img, 0, 0);
    const g = c.getContext("2d");
    g.imageSmoothingEnabled = false;
    g.clearRect(0, 0, w, h);
    g.drawImage(this._off, 0, 0, cols * cw, nrows * ch);
  }

  _mapPfn(e) {
    const m = this._mapGeom;
    if (!m) return null;
    const r = this.map.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / m.cw);
    const row = Math.floor((e.clientY - r.top) / m.ch);
    const pfn = m.z.start + (row * m.cols + col) * m.per;
    return pfn < m.z.end ? pfn : null;
  }

  _mapBlockText(e) {
    const pfn = this._mapPfn(e);
    const b = pfn === null ? null : this.store.blockAt(pfn);
    return b ? `${b.kind} block ${b.pfn} · order ${b.order}${b.hinted ? (this.design === "seed" ? " · Hinted" : " · Reported") : ""} (click: page panel)` : "";
  }

  _mapClick(e) {
    const pfn = this._mapPfn(e);
    const b = pfn === null ? null : this.store.blockAt(pfn);
    if (b) this.cmp.select(this.side, b.zone, b.pfn, b.order, pfn);
  }

  _click(e) {
    const blk = e.target.closest(".blk[data-pfn]");
    if (blk) this.cmp.select(this.side, blk.dataset.zone, +blk.dataset.pfn, +blk.dataset.order);
  }
}

/** The grid geometry both sides share: the columns either side uses, rows from min_order up, the rest folded. */
export function sharedGeometry(stores, zone, width) {
  const cfg = stores[0].config;
  const min = cfg.hinting.min_order;
  const cols = MIGRATETYPES.filter((mt) => mt === "Movable" || stores.some((s) => {
    const z = s.zone(zone);
    if (!z) return false;
    if (z.pageblocks.includes(mt)) return true;
    for (let o = 0; o < cfg.max_order; o++) if ((z.lists.get(`${o}/${mt}`) ?? []).length) return true;
    return false;
  }));
  const rows = [];
  for (let o = cfg.max_order - 1; o >= Math.max(0, min); o--) rows.push(o);
  const below = [];
  for (let o = min - 1; o >= 0; o--) below.push(o);
  const fold = below.length ? { orders: below, label: below.length === 1 ? `o${below[0]}` : `o${below.at(-1)}–o${below[0]}` } : null;
  // Chips per cell: the Movable column gets three shares of the room (as in the main grid).
  const unit = (width - 90) / (cols.length + 2);
  const chip = document.documentElement.dataset.phone === "1" ? 64 : 52; // a phone's blocks are 44 px for touch
  const budgetOf = (mt) => Math.max(2, Math.floor(((mt === "Movable" ? 3 : 1) * unit) / chip));
  return { cols, rows, fold, budgetOf };
}
