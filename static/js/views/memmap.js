// The physical memory map of the selected zone, on a canvas.
//
// Small zones get big cells, one per page, drawn block by block with the pfn
// written in; large zones (1 GiB and up) get a fraction of a pixel per page,
// drawn as runs of equal state from one scan of the store's per-page codes, so
// a frame costs O(pages + runs) whatever the workload does.  The state layer
// is cached in an offscreen canvas and redrawn only when the zone changed;
// flashes (what just moved), the selection and the hover ring go on top.

import { PAGE_FREE, PAGE_ALLOC, PAGE_HINTED, PAGE_INFLIGHT, MIGRATETYPES } from "../store.js";
import { terms } from "../terms.js";
import { cssColours, num, setHTML, setText } from "../util.js";

const FLASH_MS = 900;
const MAX_FLASHES = 400;
const MAX_CELL = 40;

export class MemMapView {
  constructor(ctx) {
    this.ctx = ctx;
    this.wrap = document.getElementById("map-wrap");
    this.canvas = document.getElementById("map");
    this.tip = document.getElementById("map-tip");
    this.readout = document.getElementById("map-readout");
    this.sub = document.getElementById("map-sub");
    this.base = document.createElement("canvas");
    this.flashes = [];
    this.views = new Map(); // zone -> {start, pages} while zoomed in
    this.hover = null;
    this.dirtyBase = true;
    this.lastDrawMs = 0;
    this.blank = false;
    this.colours = null;
    // The size comes from the observer, never from reading the DOM in a frame
    // (that would force a layout of the whole page on every delta).
    this.size = { w: 0, h: 0 };
    new ResizeObserver((entries) => {
      const r = entries[entries.length - 1].contentRect;
      if (r.width === this.size.w && r.height === this.size.h) return;
      this.size = { w: r.width, h: r.height };
      this.layout = null;
      this.dirtyBase = true;
      ctx.invalidate({ map: true });
    }).observe(this.wrap);
    this.canvas.addEventListener("mousemove", (e) => this._move(e));
    this.canvas.addEventListener("mouseleave", () => { this.hover = null; this.tip.hidden = true; this._overlay(); });
    this.canvas.addEventListener("click", (e) => this._click(e));
    this.canvas.addEventListener("wheel", (e) => this._wheel(e), { passive: false });
    this.zoomEl = document.getElementById("map-zoom");
    this.zoomEl.addEventListener("click", (e) => { if (e.target.closest("button")) this.zoomTo(null); });
  }

  // --- zoom: a large zone is explored by halving the window under the pointer ---------

  /** Show [start, start + pages) of the selected zone, or all of it (null). */
  zoomTo(win) {
    const z = this.ctx.store.zone(this.ctx.ui.zone);
    if (!z) return;
    if (!win || win.pages >= z.pages) this.views.delete(z.name);
    else this.views.set(z.name, win);
    this.layout = null;
    this.dirtyBase = true;
    this.hover = null;
    this.tip.hidden = true;
    this._zoomLabel(z);
    this.ctx.invalidate({ map: true });
  }

  _zoomLabel(z) {
    const v = this._view(z);
    const zoomed = v.pages < z.pages;
    const canZoom = z.pages > 512;
    this.zoomEl.innerHTML = zoomed
      ? `zoom ×${num(Math.round(z.pages / v.pages))} · pfn ${num(v.start)}–${num(v.start + v.pages - 1)} ` +
        `<button class="btn small" data-testid="map-zoom-out">whole zone</button>`
      : canZoom ? "scroll on the map to zoom in" : "";
  }

  _wheel(e) {
    const z = this.ctx.store.zone(this.ctx.ui.zone);
    if (!z || z.pages <= 512) return;
    e.preventDefault();
    // One step per wheel notch (100 units); a trackpad's many small deltas add up to it.
    const unit = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 100 : 1;
    this.wheelAcc = (this.wheelAcc ?? 0) + e.deltaY * unit;
    if (Math.abs(this.wheelAcc) < 100) return;
    const dir = Math.sign(this.wheelAcc);
    this.wheelAcc = 0;
    const r = this.canvas.getBoundingClientRect();
    const pfn = this._pfnAt(e.clientX - r.left, e.clientY - r.top);
    const v = this._view(z);
    let pages;
    if (dir < 0) {
      if (pfn === null || v.pages <= 256 || v.pages % 2) return;
      pages = v.pages / 2;
    } else {
      if (v.pages >= z.pages) return;
      pages = v.pages * 2;
    }
    const at = pfn ?? v.start;
    const start = z.start + Math.floor((at - z.start) / pages) * pages;
    this.zoomTo(pages >= z.pages ? null : { start, pages: Math.min(pages, z.end - start) });
  }

  themeChanged() {
    this.colours = null;
    this.patterns = null;
    this.layout = null;
    this.dirtyBase = true;
  }

  // --- layout --------------------------------------------------------------------------

  _layout(z) {
    const projector = this.ctx.ui.projector;
    const { w } = this.size;
    // Projector: a band of fixed greatest height, shrunk to what the zone needs.
    const h = projector ? 7.5 * parseFloat(getComputedStyle(document.documentElement).fontSize) : this.size.h;
    // Everything is sized in units of the root font (12.8 px at 1600 wide), so the
    // map grows with the type on a 4K screen instead of shrinking to a strip.
    const u = this.u = parseFloat(getComputedStyle(document.documentElement).fontSize) / 12.8 || 1;
    const gutter = (projector ? 64 : 52) * u;
    const W = Math.max(50, w - gutter - 4);
    const H = Math.max(40, h - 4);
    const pages = this._view(z).pages;
    let best = null;
    for (let k = 0; (1 << k) <= pages * 2; k++) {
      const rowPages = Math.min(1 << k, pages);
      const rows = Math.ceil(pages / rowPages);
      let px = W / rowPages;
      let band;
      let stripe;
      let gap;
      const cell = px >= 6;
      if (cell) {
        px = Math.min(px, MAX_CELL * u);
        band = Math.max(6, Math.min(px, (projector ? 40 : 30) * u));
        stripe = Math.round((projector ? 5 : 3) * u);
        gap = Math.round(3 * u);
        if (rowPages === pages && rows === 1) band = Math.max(band, 24 * u);
        if (projector && rows <= 4) band = Math.max(band, 26 * u); // room for 15 px labels
      } else {
        const per = Math.floor(H / rows);
        band = Math.max(2, Math.min(16 * u, per - 2));
        stripe = band >= 6 ? Math.round(2 * u) : 1;
        gap = Math.max(1, Math.round(u));
      }
      const rowH = band + stripe + gap;
      const L = { rowPages, rows, px, band, stripe, gap, rowH, cell, gutter, height: rows * rowH };
      if (W / rowPages > MAX_CELL * u && rowPages < pages) continue; // cells would be capped: use the width
      best = L;
      if (L.height <= H || rowPages >= pages) break;
    }
    return best;
  }

  _ensureCanvas(z) {
    const dpr = window.devicePixelRatio || 1;
    const { w, h } = this.size;
    if (!this.layout || this.layoutZone !== z.name) {
      this.layout = this._layout(z);
      this.layoutZone = z.name;
      this.dirtyBase = true;
      this.patterns = null; // their size follows the type size
      const L = this.layout;
      const pb = 1 << this.ctx.store.config.pageblock_order;
      this.wrap.style.height = this.ctx.ui.projector ? `${Math.ceil(L.height + 4)}px` : "";
      const scale = L.cell ? "1 page per cell" : L.px >= 1 ? `${L.px.toFixed(1)} px per page`
        : `${num(Math.round(1 / L.px))} pages per pixel`;
      this.sub.textContent = `${num(L.rowPages)} pfn per row · ${scale} · under each row: pageblock migratetype ` +
        `(${num(pb)} pages)`;
    }
    for (const c of [this.canvas, this.base]) {
      if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
        c.width = Math.round(w * dpr);
        c.height = Math.round(h * dpr);
        this.dirtyBase = true;
        this.blank = true; // a resized canvas is cleared: redraw it now, not after the busy-time gap
      }
    }
    this.dpr = dpr;
    this.cssW = w;
    this.cssH = h;
  }

  /** The window of the zone on show: all of it, or the part zoomed into. */
  _view(z) {
    const v = this.views.get(z.name);
    return v ?? { start: z.start, pages: z.pages };
  }

  /** CSS pixel rectangles covering pages [pfn, pfn + count) of zone z (clipped to the view). */
  _rects(z, pfn, count, fn) {
    const L = this.layout;
    const v = this._view(z);
    let rel = pfn - v.start;
    let left = count;
    if (rel < 0) { left += rel; rel = 0; }
    if (rel + left > v.pages) left = v.pages - rel;
    while (left > 0) {
      const row = Math.floor(rel / L.rowPages);
      const col = rel % L.rowPages;
      const n = Math.min(left, L.rowPages - col);
      fn(L.gutter + col * L.px, row * L.rowH, n * L.px, L.band, row);
      rel += n;
      left -= n;
    }
  }

  /** Where pfn is drawn (CSS px, relative to the canvas), for tests and the inspector. */
  pointFor(pfn) {
    const z = this.ctx.store.zone(this.ctx.ui.zone);
    if (z && !this.layout && this.size.w) this._ensureCanvas(z); // asked between a zoom and its redraw
    const v = z && this._view(z);
    if (!z || !this.layout || pfn < v.start || pfn >= v.start + v.pages) return null;
    let out = null;
    this._rects(z, pfn, 1, (x, y, w, h) => { out = { x: x + w / 2, y: y + h / 2 }; });
    return out;
  }

  _pfnAt(x, y) {
    const z = this.ctx.store.zone(this.ctx.ui.zone);
    const L = this.layout;
    if (!z || !L) return null;
    const row = Math.floor(y / L.rowH);
    const col = Math.floor((x - L.gutter) / L.px);
    if (row < 0 || row >= L.rows || col < 0 || col >= L.rowPages) return null;
    if (y - row * L.rowH > L.band + L.stripe) return null;
    const v = this._view(z);
    const pfn = v.start + row * L.rowPages + col;
    return pfn < v.start + v.pages ? pfn : null;
  }

  // --- drawing ---------------------------------------------------------------------

  _pat() {
    if (this.patterns) return this.patterns;
    const c = this.colours;
    const proj = this.ctx.ui.projector;
    const mk = (size, draw) => {
      const cv = document.createElement("canvas");
      cv.width = cv.height = size;
      const g = cv.getContext("2d");
      draw(g, size);
      return this.canvas.getContext("2d").createPattern(cv, "repeat");
    };
    const hatch = (bg, fg, size, lw) => (g, s) => {
      if (bg) { g.fillStyle = bg; g.fillRect(0, 0, s, s); }
      g.strokeStyle = fg;
      g.lineWidth = lw;
      g.beginPath();
      for (const o of [-s, 0, s]) { g.moveTo(o, s); g.lineTo(o + s, 0); }
      g.stroke();
    };
    const s = Math.round((proj ? 9 : 6) * (this.u || 1));
    this.patterns = {
      hinted: mk(s, hatch(c.hintedLight, c.hinted, s, (proj ? 3 : 2.2) * (this.u || 1))),
      inflight: mk(5, (g) => {
        g.fillStyle = c.inflightPale; g.fillRect(0, 0, 5, 5);
        g.fillStyle = c.inflight; g.beginPath(); g.arc(2.5, 2.5, 1.3, 0, Math.PI * 2); g.fill();
      }),
      nonres: mk(s, (g, sz) => {
        g.strokeStyle = c.nonres; g.lineWidth = proj ? 2.5 : 1.8; g.beginPath();
        for (const o of [-sz, 0, sz]) { g.moveTo(o, 0); g.lineTo(o + sz, sz); }
        g.stroke();
      }),
      isolate: mk(4, hatch("#000", "#fff", 4, 1)),
    };
    return this.patterns;
  }

  _fillFor(code) {
    const c = this.colours;
    if (code === PAGE_FREE) return c.free;
    if (code === PAGE_HINTED) return this._pat().hinted;
    if (code === PAGE_INFLIGHT) return this._pat().inflight;
    return c[MIGRATETYPES[code - PAGE_ALLOC]] ?? c.ink3;
  }

  _drawBase(z) {
    const g = this.base.getContext("2d");
    const L = this.layout;
    const view = this._view(z);
    const c = this.colours;
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, this.cssW, this.cssH);
    const page = z.page;
    const nonres = z.nonres;
    const pat = this._pat();
    const pbPages = 1 << this.ctx.store.config.pageblock_order;

    if (L.cell) {
      // Whole blocks, inset so neighbours stay apart, with their pfn written in.
      const inset = L.px >= 10 ? 1 : 0.5;
      const blocks = [];
      for (const [pfn, a] of z.alloc) blocks.push([pfn, a.order, PAGE_ALLOC + MIGRATETYPES.indexOf(a.mt)]);
      for (const [key, list] of z.lists) {
        const o = +key.slice(0, key.indexOf("/"));
        for (const p of list) blocks.push([p, o, z.hinted.has(p) ? PAGE_HINTED : PAGE_FREE]);
      }
      for (const b of this.ctx.store.hinting?.batch ?? []) {
        if (b.pfn >= z.start && b.pfn < z.end) blocks.push([b.pfn, b.order, PAGE_INFLIGHT]);
      }
      {
        // Only the blocks in view (a zoomed window of a large zone).
        const lo = view.start;
        const hi = view.start + view.pages;
        let k = 0;
        for (const b of blocks) if (b[0] < hi && b[0] + (1 << b[1]) > lo) blocks[k++] = b;
        blocks.length = k;
      }
      // Rows' background: anything not covered above would show as a gap.
      g.fillStyle = c.panel;
      for (let r = 0; r < L.rows; r++) {
        const n = Math.min(L.rowPages, view.pages - r * L.rowPages);
        g.fillRect(L.gutter, r * L.rowH, n * L.px, L.band);
      }
      for (const [pfn, order, code] of blocks) {
        g.fillStyle = this._fillFor(code);
        this._rects(z, pfn, 1 << order, (x, y, w, h) => g.fillRect(x + inset, y + inset, w - 2 * inset, h - 2 * inset));
        if (code === PAGE_INFLIGHT) {
          g.save();
          g.setLineDash([3, 2]);
          g.strokeStyle = c.inflight;
          g.lineWidth = 1.5;
          this._rects(z, pfn, 1 << order, (x, y, w, h) => g.strokeRect(x + 1, y + 1, w - 2, h - 2));
          g.restore();
        }
      }
      // Faint page ticks inside blocks: one cell per page, blocks still read as blocks.
      if (L.px >= 8) {
        g.fillStyle = c.panel;
        g.globalAlpha = 0.45;
        for (let r = 0; r < L.rows; r++) {
          const n = Math.min(L.rowPages, view.pages - r * L.rowPages);
          for (let i = 1; i < n; i++) g.fillRect(L.gutter + i * L.px - 0.5, r * L.rowH + L.band * 0.72, 1, L.band * 0.28);
        }
        g.globalAlpha = 1;
      }
      // Pages the host dropped, where it is news (Hinted implies dropped).
      g.fillStyle = pat.nonres;
      this._scan(z, (from, to, code, nr) => {
        if (nr && code !== PAGE_HINTED) this._rects(z, z.start + from, to - from, (x, y, w, h) => g.fillRect(x, y, w, h));
      });
      // pfn labels at block heads, where they fit.
      // On a projector nothing is written smaller than 15 px: no label rather than an unreadable one.
      const proj = this.ctx.ui.projector;
      const fs = proj ? Math.max(15, Math.min(L.band * 0.55, 17 * this.u)) : Math.max(9, Math.min(L.band * 0.5, 13 * this.u));
      g.font = `600 ${fs}px ${this.colours.mono}`;
      g.textBaseline = "middle";
      for (const [pfn, order, code] of blocks) {
        const label = String(pfn);
        const wpx = Math.min(1 << order, L.rowPages) * L.px;
        if (g.measureText(label).width + 6 > wpx || L.band < (proj ? fs + 4 : 14)) continue;
        this._rects(z, pfn, 1, (x, y) => {
          const dark = code >= PAGE_ALLOC && code < PAGE_HINTED && code !== PAGE_ALLOC + 3 && code !== PAGE_ALLOC + 2;
          if (code === PAGE_HINTED || code === PAGE_INFLIGHT) {
            g.lineWidth = 3; g.strokeStyle = c.panel; g.strokeText(label, x + 4, y + L.band / 2 + 0.5);
          }
          g.fillStyle = dark ? "#fff" : c.ink;
          g.fillText(label, x + 4, y + L.band / 2 + 0.5);
        });
      }
    } else {
      // Runs of equal state from one scan of the page codes.
      this._scan(z, (from, to, code) => {
        g.fillStyle = this._fillFor(code);
        this._rects(z, z.start + from, to - from, (x, y, w, h) => g.fillRect(x, y, w, h));
      }, true);
      g.fillStyle = pat.nonres;
      this._scan(z, (from, to, code, nr) => {
        if (nr && code !== PAGE_HINTED) this._rects(z, z.start + from, to - from, (x, y, w, h) => g.fillRect(x, y, w, h));
      });
    }

    // The pageblock stripe under each row.
    const pbs = z.pageblocks;
    let i = Math.max(0, Math.floor((view.start - z.start) / pbPages));
    const iEnd = Math.min(pbs.length, Math.ceil((view.start + view.pages - z.start) / pbPages));
    while (i < iEnd) {
      let j = i + 1;
      while (j < iEnd && pbs[j] === pbs[i]) j++;
      g.fillStyle = pbs[i] === "Isolate" ? pat.isolate : c[pbs[i]] ?? c.ink3;
      this._rects(z, z.start + i * pbPages, (j - i) * pbPages, (x, y, w) => {
        g.fillRect(x, y + L.band + (L.cell ? 1 : 0), w, L.stripe);
      });
      i = j;
    }
    if (L.cell && pbPages * L.px >= 8) { // pageblock edges on the stripe
      g.fillStyle = c.panel;
      for (let p = view.start - z.start + pbPages; p < view.start - z.start + view.pages; p += pbPages) {
        if ((p - (view.start - z.start)) % L.rowPages === 0) continue;
        this._rects(z, z.start + p, 1, (x, y) => g.fillRect(x - 1, y + L.band, 2, L.stripe + 1));
      }
    }

    // Row labels.
    g.fillStyle = c.ink3;
    const lfs = (this.ctx.ui.projector ? 13 : 10) * this.u;
    g.font = `${lfs}px ${this.colours.mono}`;
    g.textAlign = "right";
    g.textBaseline = "middle";
    const every = Math.max(1, Math.ceil((lfs + 3) / L.rowH));
    let lastY = -Infinity;
    for (let r = 0; r < L.rows; r += every) {
      const y = Math.max(lfs / 2 + 1, r * L.rowH + L.band / 2 + 0.5);
      if (y - lastY < lfs + 2) continue;
      lastY = y;
      g.fillText(String(view.start + r * L.rowPages), L.gutter - 6 * this.u, y);
    }
    g.textAlign = "left";
    this.dirtyBase = false;
  }

  /** Call fn(from, to, code, nonresident) for runs of equal (code, residency), zone-relative. */
  _scan(z, fn, rowBreaks = false) {
    const page = z.page;
    const nonres = z.nonres;
    const v = this._view(z);
    const base = v.start - z.start;
    const n = base + v.pages;
    const rowPages = this.layout.rowPages;
    let from = base;
    while (from < n) {
      const code = page[from];
      const nr = nonres[from];
      let to = from + 1;
      const limit = rowBreaks ? Math.min(n, base + (Math.floor((from - base) / rowPages) + 1) * rowPages) : n;
      while (to < limit && page[to] === code && nonres[to] === nr) to++;
      fn(from, to, code, nr);
      from = to;
    }
  }

  render(d) {
    const { store, ui } = this.ctx;
    const z = store.zone(ui.zone);
    if (!z || !this.size.w) return;
    if (!this.colours || d.themeChanged) { this.colours = cssColours(); this.patterns = null; this.dirtyBase = true; }
    if (d.zoneChanged || d.modeChanged || d.full) {
      this.layout = null; this.patterns = null; this.flashes = [];
      this._zoomLabel(z);
    }
    const zd = d.zones.get(z.name);
    if (d.full || zd?.map || zd?.residency || zd?.pageblocks || d.batch || d.zoneChanged || d.map) this.dirtyBase = true;
    if (zd && !d.full) {
      const now = performance.now();
      for (const [pfn, count] of zd.spans) {
        if (this.flashes.length >= MAX_FLASHES) this.flashes.shift();
        this.flashes.push({ pfn, count, t: now });
      }
    }
    this._ensureCanvas(z);
    if (this.hover !== null && !this.tip.hidden && (zd || d.batch)) this._tipText();
    if (this.dirtyBase) {
      // Under a heavy workload, a slow base redraw is spread over frames.
      const now = performance.now();
      const gap = this.ctx.ui.busy ? Math.max(100, this.lastDrawMs * 8) : this.lastDrawMs > 12 ? 66 : 0;
      if (!(now - this.lastBase < gap) || d.full || d.zoneChanged || this.blank) {
        const t0 = performance.now();
        this.blank = false;
        this._drawBase(z);
        this.lastDrawMs = performance.now() - t0;
        this.lastBase = now;
      } else if (!this.mapTimer) {
        this.mapTimer = setTimeout(() => { this.mapTimer = 0; this.ctx.invalidate({ map: true }); }, gap - (now - this.lastBase));
      }
    }
    this._overlay();
  }

  _overlay() {
    const z = this.ctx.store.zone(this.ctx.ui.zone);
    if (!z || !this.layout) return;
    const g = this.canvas.getContext("2d");
    const c = this.colours ?? cssColours();
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    g.drawImage(this.base, 0, 0);
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const now = performance.now();
    this.flashes = this.flashes.filter((f) => now - f.t < FLASH_MS && f.pfn >= z.start && f.pfn < z.end);
    if (this.flashes.length) {
      g.strokeStyle = c.inflight;
      g.lineWidth = 2;
      for (const f of this.flashes) {
        g.globalAlpha = 1 - (now - f.t) / FLASH_MS;
        this._rects(z, f.pfn, f.count, (x, y, w, h) => g.strokeRect(x - 1, y - 1, Math.max(w, 1) + 2, h + 2));
      }
      g.globalAlpha = 1;
      this.ctx.invalidate({ anim: true });
    }
    const ring = (pfn, colour, lw) => {
      const b = this.ctx.store.blockAt(pfn);
      if (!b || b.zone !== z.name) return;
      g.strokeStyle = colour;
      g.lineWidth = lw;
      this._rects(z, b.pfn, 1 << b.order, (x, y, w, h) => g.strokeRect(x - 1.5, y - 1.5, Math.max(w, 1) + 3, h + 3));
    };
    for (const a of this.ctx.store.anomalies ?? []) if (a.zone === z.name && a.pfn !== null) ring(a.pfn, c.anomaly, 2);
    for (const p of this.ctx.ui.highlight.pfns) ring(p, c.sel, 2.5);
    if (this.hover !== null) ring(this.hover, c.ink, 1.5);
  }

  // --- pointer -------------------------------------------------------------------------

  _describe(pfn) {
    const { store } = this.ctx;
    const b = store.blockAt(pfn);
    const z = store.zoneOfPfn(pfn);
    if (!b || !z) return null;
    const last = b.pfn + (1 << b.order) - 1;
    const range = b.order ? `${b.pfn}–${last}` : String(b.pfn);
    const dropped = store.nonresidentIn(b.pfn, b.order);
    const res = dropped === 0 ? "resident" : dropped === 1 << b.order ? "not resident" : `${dropped} pages not resident`;
    let state;
    if (b.kind === "allocated") state = `allocated ${b.mt}`;
    else if (b.kind === "inflight") state = `in flight, sg[${b.sg}]`;
    else state = `free ${b.mt}${b.hinted ? `, ${terms(store).marked}` : ""}`;
    const pb = z.pageblocks[Math.floor((pfn - z.start) / (1 << store.config.pageblock_order))];
    return { b, text: `pfn ${range} · o${b.order} · ${state} · ${res}`, pb };
  }

  _move(e) {
    const r = this.canvas.getBoundingClientRect();
    const pfn = this._pfnAt(e.clientX - r.left, e.clientY - r.top);
    if (pfn === null) {
      this.hover = null;
      this.tip.hidden = true;
      this.canvas.classList.remove("pointer");
      this._overlay();
      return;
    }
    this.hover = pfn;
    if (!this._tipText()) return;
    const flip = e.clientX > window.innerWidth - 380;
    this.tip.style.left = `${flip ? e.clientX - 380 : e.clientX}px`;
    this.tip.style.top = `${Math.min(e.clientY, window.innerHeight - 60)}px`;
    this._overlay();
  }

  /** Describe the hovered block in the tooltip (again after each change under the pointer). */
  _tipText() {
    const info = this.hover === null ? null : this._describe(this.hover);
    if (!info) return false;
    const canFree = info.b.kind === "allocated" && this.ctx.ui.role === "controller";
    this.canvas.classList.toggle("pointer", canFree || info.b.kind !== "allocated");
    setHTML(this.tip, `<b>${info.text}</b><span class="act">pageblock ${info.pb}` +
      `${canFree ? " · click to free" : " · click to select"}</span>`);
    this.tip.hidden = false;
    setText(this.readout, `▣ ${info.text}`);
    return true;
  }

  _click(e) {
    const r = this.canvas.getBoundingClientRect();
    const pfn = this._pfnAt(e.clientX - r.left, e.clientY - r.top);
    if (pfn === null) return;
    const b = this.ctx.store.blockAt(pfn);
    if (!b) return;
    if (b.kind === "allocated" && this.ctx.ui.role === "controller") this.ctx.actions.free(b.pfn, b.order, "map");
    else this.ctx.actions.selectBlock(pfn);
  }
}
