// The free area: orders x migratetypes, each cell a free list head to tail.
//
// What a cell shows comes from panels/freelists.js (shared with the SVG
// export); this view puts it in the DOM, redrawing only the cells whose list,
// hinted blocks, boundary or highlight changed.  On a projector, in a slide's
// iframe and on a phone the grid must fit its box with every order readable:
// empty migratetypes collapse, then the rows below min_order fold into one
// line, then empty rows get thin, then every row does (`data-fold` 1..3).

import { MIGRATETYPES, MT_CLASS } from "../palette.js";
import { cellModel, columnsOf, foldedBelow, markerLabel, rowsOf, walkOf } from "../panels/freelists.js";
import { zoneFlags } from "../panels/zonehead.js";
import { terms } from "../terms.js";
import { budgetFor } from "../summarise.js";
import { esc, num, setAttr, setHTML, setText } from "../util.js";

const MOVABLE_WEIGHT = 5; // most memory is Movable: its column is always the wide one
const MAX_EXPANDED = 600;
const MARKER_PX = 30; // room kept in every row for a marker
const WEIGHTS = [1.25, 1.9, 2.6, 4.6];

export class FreeAreaView {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("free-area");
    this.panel = this.root.closest(".panel");
    this.cells = new Map(); // "zone|order/mt" -> element
    this.zoneEls = new Map();
    this.budgets = new Map(); // "zone|mt" -> chips
    this.lastPfns = new Map(); // key -> Set of pfns last drawn (to flash arrivals)
    this.weights = new Map();
    this.root.addEventListener("click", (e) => this._click(e));
    // Measured a frame later: folding changes the sizes observed, which inside
    // the observer's callback would loop.
    this.ro = new ResizeObserver(() => requestAnimationFrame(() => {
      const folded = this.fit();
      if (this.measure() || folded) ctx.invalidate({ layout: true });
    }));
    this.ro.observe(this.root);
    this.ro.observe(this.panel);
  }

  /** Fold rows (projector, embed, phone) until the grid fits its panel; true if the fold level changed. */
  fit() {
    const zel = this.zoneEls.get(this.ctx.ui.zone);
    if (!zel) return false;
    const d = document.documentElement.dataset;
    const compact = d.mode === "projector" || d.embed === "1" || d.phone === "1";
    const start = d.phone === "1" ? 1 : 0; // a phone always folds the rows below min_order (DESIGN.md)
    const was = zel.dataset.fold ?? "0";
    let level = compact ? start : 0;
    zel.dataset.fold = String(level);
    if (compact && d.phone !== "1") {
      const over = () => this.panel.scrollHeight > this.panel.clientHeight + 1;
      while (level < 3 && over()) zel.dataset.fold = String(++level);
    }
    return zel.dataset.fold !== was;
  }

  build() {
    const { store } = this.ctx;
    const maxOrder = store.config.max_order;
    const minOrder = store.config.hinting.min_order;
    this.root.innerHTML = "";
    this.cells.clear();
    this.zoneEls.clear();
    this.lastPfns.clear();
    for (const z of store.zones) {
      const zel = document.createElement("div");
      zel.className = maxOrder > 8 ? "fa-zone compact" : "fa-zone";
      zel.dataset.zone = z.name;
      const parts = [`<div class="fa-grid" role="group" aria-label="free lists of ${esc(z.name)}">`,
        `<div class="fa-colhead gut">order<small></small></div>`]; // the design's words: _gutters
      for (const mt of MIGRATETYPES) {
        parts.push(`<div class="fa-colhead" data-mt="${mt}" data-role="colhead"><i class="sw ${MT_CLASS[mt]}"></i>${mt}` +
          `<small data-pb="${mt}"></small></div>`);
      }
      for (let o = maxOrder - 1; o >= 0; o--) {
        const below = o < minOrder;
        parts.push(`<div class="gut${below ? " below" : ""}" data-order="${o}" data-testid="order-row" data-orders="${o}"></div>`);
        for (const mt of MIGRATETYPES) {
          parts.push(`<div class="fl${below ? " below" : ""}" data-testid="free-list" data-zone="${esc(z.name)}"` +
            ` data-order="${o}" data-migratetype="${mt}" aria-label="free_list[${o}][${mt}], head first"></div>`);
        }
        if (o === minOrder && minOrder > 0) {
          parts.push(`<div class="fa-divider" aria-hidden="true"><span>min_order ${minOrder}</span></div>`);
          const orders = Array.from({ length: minOrder }, (_, i) => minOrder - 1 - i).join(" ");
          parts.push(`<div class="fa-fold" data-testid="order-row" data-orders="${orders}"></div>`);
        }
      }
      parts.push("</div>");
      zel.innerHTML = parts.join("");
      this.root.appendChild(zel);
      this.zoneEls.set(z.name, zel);
      for (const el of zel.querySelectorAll(".fl")) {
        this.cells.set(`${z.name}|${el.dataset.order}/${el.dataset.migratetype}`, el);
      }
    }
    this._showZone();
    this.measure(true);
  }

  _showZone() {
    for (const [name, el] of this.zoneEls) el.hidden = name !== this.ctx.ui.zone;
  }

  /** Recompute how many chips fit per column; true if anything changed. */
  measure(force = false) {
    const zel = this.zoneEls.get(this.ctx.ui.zone);
    if (!zel || zel.hidden) return false;
    // Measure a widest block (a Hinted one: thicker border) and a typical elided chip.
    // (in a cell on show: a collapsed column or folded row measures nothing)
    const host = [...zel.querySelectorAll(".fl:not([hidden]):not(.below)")].find((el) => el.offsetParent) ?? zel.querySelector(".fl");
    const probe = document.createElement("span");
    probe.className = "blk";
    probe.dataset.hinted = "true";
    probe.textContent = String(this.ctx.store.zones.at(-1).end - 1);
    const eprobe = document.createElement("span");
    eprobe.className = "elided";
    eprobe.textContent = "… 8,888 more …";
    const nprobe = document.createElement("span");
    nprobe.className = "elided";
    nprobe.textContent = "…888…";
    const sprobe = document.createElement("span");
    sprobe.className = "stale-flag";
    sprobe.textContent = `stale → ${probe.textContent}`;
    const wprobe = document.createElement("span");
    wprobe.className = "walk";
    wprobe.textContent = "next ▸";
    for (const p of [probe, eprobe, nprobe, sprobe, wprobe]) {
      p.style.visibility = "hidden";
      p.style.position = "absolute";
      host?.appendChild(p);
    }
    const chip = probe.offsetWidth || 48;
    const gap = 4;
    this.elidedCost = ((eprobe.offsetWidth || chip) + gap) / (chip + gap);
    this.narrowElidedCost = ((nprobe.offsetWidth || chip) + gap) / (chip + gap);
    this.staleCost = ((sprobe.offsetWidth || 3 * chip) + 2 * gap + 6) / (chip + gap);
    // The walk chip stands where a boundary marker would: it has the marker's 30 px (budgetFor below) first.
    this.walkCost = Math.max(0, (wprobe.offsetWidth || chip) + gap - MARKER_PX) / (chip + gap);
    for (const p of [probe, eprobe, nprobe, sprobe, wprobe]) p.remove();
    let changed = force;
    for (const mt of MIGRATETYPES) {
      const cell = zel.querySelector(`.fl[data-migratetype="${mt}"]`);
      if (!cell || cell.hidden) continue;
      const w = cell.clientWidth - 14;
      const b = budgetFor(w, chip, gap, MARKER_PX);
      const key = `${this.ctx.ui.zone}|${mt}`;
      if (this.budgets.get(key) !== b) { this.budgets.set(key, b); changed = true; }
    }
    return changed;
  }

  render(d) {
    const { store } = this.ctx;
    if (d.zoneChanged || d.full) this._showZone();
    const all = d.full || d.layout || d.selection || d.zoneChanged || d.modeChanged;
    if (d.zoneChanged || d.modeChanged) this.measure(true);
    for (const z of store.zones) {
      const zel = this.zoneEls.get(z.name);
      setAttr(zel, "data-active", zoneFlags(store, z).active);
      const zd = d.zones.get(z.name);
      if (all || zd?.pageblocks || zd?.lists.size || d.anomalies) this._columns(z, zel);
      if (all || zd?.nrFree || zd?.hintedPages || zd?.lists.size) this._gutters(z, zel);
      const keys = new Set();
      if (all || d.anomalies) {
        for (const k of this.cells.keys()) if (k.startsWith(`${z.name}|`)) keys.add(k.slice(z.name.length + 1));
      } else if (zd) {
        for (const k of zd.lists) keys.add(k);
      }
      if (d.dropped) for (const k of d.dropped) if (k.startsWith(`${z.name}|`)) keys.add(k.slice(z.name.length + 1));
      for (const key of keys) this._cell(z, key, zd, d);
    }
    if (all) queueMicrotask(() => { if (this.fit()) this.ctx.invalidate({ layout: true }); });
  }

  _columns(z, zel) {
    const { ui } = this.ctx;
    const cols = ["var(--gut-w)"];
    let hidden = 0;
    // Columns get room by what they hold (in coarse steps, so they rarely move):
    // the long lists get the width, empty migratetypes stay narrow.
    const weight = (c) => {
      const step = c.longest === 0 ? 0 : c.longest <= 2 ? 1 : c.longest <= 5 ? 2 : 3;
      const w = WEIGHTS[step];
      const prev = this.weights.get(`${z.name}|${c.mt}`);
      // Hysteresis: grow at once, shrink only when two steps apart.
      if (prev !== undefined && w < prev && WEIGHTS.indexOf(prev) - step < 2) return prev;
      return w;
    };
    const d = document.documentElement.dataset;
    const collapse = ui.projector || d.embed === "1" || d.phone === "1";
    for (const c of columnsOf(this.ctx.store, z)) {
      setText(zel.querySelector(`small[data-pb="${c.mt}"]`), `${num(c.pageblocks)} pageblock${c.pageblocks === 1 ? "" : "s"}`);
      const hide = collapse && c.empty;
      if (hide) hidden++;
      if (zel.dataset[`hide${c.mt}`] !== String(hide)) {
        zel.dataset[`hide${c.mt}`] = String(hide);
        for (const el of zel.querySelectorAll(`[data-mt="${c.mt}"], .fl[data-migratetype="${c.mt}"]`)) el.hidden = hide;
      }
      const w = c.mt === "Movable" ? Math.max(MOVABLE_WEIGHT, weight(c)) : weight(c);
      this.weights.set(`${z.name}|${c.mt}`, w);
      if (!hide) cols.push(`minmax(0, ${w}fr)`);
    }
    const want = cols.join(" ");
    const grid = zel.firstElementChild;
    if (grid.style.getPropertyValue("--cols") !== want) {
      grid.style.setProperty("--cols", want);
      queueMicrotask(() => { if (this.measure()) this.ctx.invalidate({ layout: true }); });
    }
    if (z.name === ui.zone) {
      setText(document.getElementById("fa-hidden-cols"),
        hidden ? `${hidden} empty migratetype${hidden === 1 ? "" : "s"} hidden` : "");
    }
  }

  _gutters(z, zel) {
    const rows = rowsOf(this.ctx.store, z);
    const { store } = this.ctx;
    const t = terms(store);
    const not = `not ${t.marked.toLowerCase()}`;
    setText(zel.querySelector(".fa-colhead.gut small"), `nr_free · ${t.marked}`);
    setText(document.getElementById("fa-config"),
      `MAX_ORDER ${store.config.max_order} · pageblock_order ${store.config.pageblock_order} · ${t.faConfig}`);
    for (const r of rows) {
      const g = zel.querySelector(`.gut[data-order="${r.order}"]`);
      // hinted_pages is null until the zone's first cycle allocates it: say so, not "0".
      setHTML(g, `<span class="o">o${r.order}</span><span class="pp">${num(r.pages)} pg</span>` +
        `<span class="nf" data-testid="nr-free" data-zone="${esc(z.name)}" data-order="${r.order}" title="nr_free">${num(r.nrFree)}</span>` +
        (r.below
          ? `<span class="nh">${not}</span>`
          : `<span class="hpv" data-testid="hinted-pages" data-zone="${esc(z.name)}" data-order="${r.order}" title="${t.rowTitle(r.order)}">` +
            `<i class="mini-h" aria-hidden="true"></i>${r.hintedKnown ? num(r.hinted) : "–"}</span>`));
      const empty = r.blocks === 0;
      if (g.classList.contains("empty") !== empty) {
        for (const el of zel.querySelectorAll(`[data-order="${r.order}"]:is(.gut, .fl)`)) el.classList.toggle("empty", empty);
      }
    }
    const fold = foldedBelow(rows);
    const el = zel.querySelector(".fa-fold");
    if (fold && el) {
      setAttr(el, "title", `the orders below min_order: never ${t.marked.toLowerCase()}`);
      setHTML(el, `<span class="o">${fold.label}</span><span class="nh">${not} · ${num(fold.blocks)} ` +
        `block${fold.blocks === 1 ? "" : "s"}</span>`);
    }
  }

  _cell(z, key, zd, d) {
    const el = this.cells.get(`${z.name}|${key}`);
    if (!el) return;
    const { ui } = this.ctx;
    const slash = key.indexOf("/");
    const order = +key.slice(0, slash);
    const mt = key.slice(slash + 1);
    const cellKey = `${z.name}|${key}`;
    const hl = ui.highlight;
    const expanded = ui.expanded.has(cellKey);
    // A stale marker's flag sits in the row: the blocks get the room that is left.
    const b = this.ctx.store.boundary(order, mt);
    const stale = !!b?.stale && b.zone === z.name;
    // So does reporting's walk chip; where even head, "…" and tail barely fit, it is only its arrow.
    const walk = !b && walkOf(this.ctx.store, z.name, order, mt);
    const room = this.budgets.get(`${ui.zone}|${mt}`) ?? 8;
    const tight = walk && !expanded && room - (this.walkCost ?? 1.5) < 3;
    const budget = expanded ? MAX_EXPANDED
      : Math.max(3, room - (stale ? this.staleCost ?? 3 : walk && !tight ? this.walkCost ?? 1.5 : 0));
    const narrow = budget < 5;
    const m = cellModel(this.ctx.store, z, order, mt, {
      budget, focus: hl.pfns, elidedCost: narrow ? (this.narrowElidedCost ?? 1.2) : (this.elidedCost ?? 2),
    });
    const arrived = zd?.inserted.get(key);
    const before = this.lastPfns.get(cellKey);
    const moved = d.boundary?.has(cellKey);
    const mk = m.marker;
    const t = terms(this.ctx.store);
    const marked = t.marked;
    const marker = () => {
      const target = mk.target;
      const title = mk.kind === "stale"
        ? `boundary[${order}][${mt}] → ${target}, which is no longer on this list: stale${mk.active ? " while ACTIVE is set: the seed would follow it" : ", and harmless: nothing reads a boundary between cycles, and the next cycle resets it first"}`
        : `boundary[${order}][${mt}] → ${target === "head" ? "list head" : target}${mk.active ? "" : " (ACTIVE is off: not followed)"}`;
      return `<span class="bnd ${mk.kind === "block" ? "" : mk.kind}${moved ? " moved" : ""}" data-testid="boundary" ` +
        `data-target="${target}" data-active="${mk.active}"${mk.kind === "stale" ? ' data-stale="true"' : ""} title="${title}">` +
        (mk.kind === "stale" ? `</span><span class="stale-flag">${esc(markerLabel(mk))}</span>`
          : `<span class="flag">${esc(markerLabel(mk))}</span></span>`);
    };
    const parts = [];
    for (const s of m.segs) {
      if (s.kind === "block") {
        if (mk && s.index === mk.index && mk.kind === "block") parts.push(marker());
        else if (mk && s.index === mk.index && mk.kind === "walk") {
          parts.push(`<span class="walk" data-testid="walk-position" data-pfn="${s.pfn}" title="${t.walkAt(mk.walk)}">${tight ? "▸" : "next ▸"}</span>`);
        }
        let cls = "blk";
        if (hl.pfns.has(s.pfn)) cls += " sel";
        if (m.ring.has(s.pfn)) cls += " anom";
        if (!ui.busy && ((arrived && arrived.has(s.pfn)) || (before && !before.has(s.pfn) && !d.full))) cls += " new";
        if (ui.dropped.has(s.pfn)) cls += " dropped";
        parts.push(`<span class="${cls}" data-testid="block" data-pfn="${s.pfn}" data-hinted="${s.hinted}"` +
          ` title="pfn ${s.pfn} · order ${order} · ${mt}${s.hinted ? ` · ${marked}` : ""}">${s.pfn}</span>`);
      } else {
        const h = s.hinted;
        parts.push(`<span class="elided" data-testid="elided" data-count="${s.count}" data-start="${s.start}"` +
          ` title="${s.count} blocks not shown${h ? `, ${h} of them ${marked}` : ""}; click to show the whole list">` +
          `${narrow ? `…${num(s.count)}…` : `… ${num(s.count)} more …`}${h ? `<i class="eh" aria-label="${h} ${marked}"></i>` : ""}</span>`);
      }
    }
    if (m.n === 0) parts.push(mk?.kind === "empty" ? marker() + `<span class="none">—</span>` : `<span class="none">—</span>`);
    if (mk?.kind === "head") parts.push(marker());
    else if (mk?.kind === "stale") parts.push(marker());
    if (expanded && m.n > budget) parts.push(`<span class="elided" data-collapse="1">collapse</span>`);
    setHTML(el, parts.join(""));
    if (el.classList.contains("sel") !== hl.lists.has(cellKey)) el.classList.toggle("sel");
    if (el.classList.contains("anom") !== m.anomaly) el.classList.toggle("anom");
    if (el.classList.contains("expanded") !== expanded) el.classList.toggle("expanded");
    setAttr(el, "data-count", m.n);
    this.lastPfns.set(cellKey, new Set(m.n > 2000 ? [] : m.list));
  }

  _click(e) {
    const { ui, actions } = this.ctx;
    const cell = e.target.closest(".fl");
    if (!cell) return;
    const key = `${cell.dataset.zone}|${cell.dataset.order}/${cell.dataset.migratetype}`;
    if (e.target.closest(".elided")) {
      if (ui.expanded.has(key)) ui.expanded.delete(key);
      else ui.expanded.add(key);
      this.ctx.invalidate({ selection: true });
      return;
    }
    const blk = e.target.closest(".blk");
    if (blk) {
      actions.selectBlock(+blk.dataset.pfn);
      return;
    }
    actions.selectList(cell.dataset.zone, +cell.dataset.order, cell.dataset.migratetype);
  }
}
