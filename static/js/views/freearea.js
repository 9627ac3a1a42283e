// The free area: orders x migratetypes, each cell a free list head to tail.
//
// Only cells whose list, hinted blocks, boundary or highlight changed are
// redrawn.  Long lists are summarised (summarise.js) to what fits the cell;
// the boundary marker stands before the block it points at, or at the end of
// the row with a hook when it points at the list head.  The boundary array is
// global, so a marker is drawn only in the zone it points into.

import { MIGRATETYPES } from "../store.js";
import { summarise, budgetFor } from "../summarise.js";
import { esc, num, MT_CLASS, setHTML, setText, setAttr, setProp } from "../util.js";

const MOVABLE_WEIGHT = 5; // most memory is Movable: its column is always the wide one
const MAX_EXPANDED = 600;

export class FreeAreaView {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("free-area");
    this.cells = new Map(); // "zone|order/mt" -> element
    this.zoneEls = new Map();
    this.budgets = new Map(); // "zone|mt" -> chips
    this.lastPfns = new Map(); // key -> Set of pfns last drawn (to flash arrivals)
    this.root.addEventListener("click", (e) => this._click(e));
    this.ro = new ResizeObserver(() => {
      if (this.measure()) ctx.invalidate({ layout: true });
    });
    this.ro.observe(this.root);
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
        `<div class="fa-colhead gut">order<small>nr_free · Hinted</small></div>`];
      for (const mt of MIGRATETYPES) {
        parts.push(`<div class="fa-colhead" data-mt="${mt}"><i class="sw ${MT_CLASS[mt]}"></i>${mt}` +
          `<small data-pb="${mt}"></small></div>`);
      }
      for (let o = maxOrder - 1; o >= 0; o--) {
        const below = o < minOrder;
        parts.push(`<div class="gut${below ? " below" : ""}" data-order="${o}"></div>`);
        for (const mt of MIGRATETYPES) {
          parts.push(`<div class="fl${below ? " below" : ""}" data-testid="free-list" data-zone="${esc(z.name)}"` +
            ` data-order="${o}" data-migratetype="${mt}" aria-label="free_list[${o}][${mt}], head first"></div>`);
        }
        if (o === minOrder && minOrder > 0) {
          parts.push(`<div class="fa-divider" aria-hidden="true"><span>min_order ${minOrder}</span></div>`);
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
    const cfg = store.config;
    document.getElementById("fa-config").textContent =
      `MAX_ORDER ${cfg.max_order} · pageblock_order ${cfg.pageblock_order} · boundary[][] is global, shown in the zone it points into`;
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
    const host = zel.querySelector(".fl");
    const probe = document.createElement("span");
    probe.className = "blk";
    probe.dataset.hinted = "true";
    probe.textContent = String(this.ctx.store.zones.at(-1).end - 1);
    const eprobe = document.createElement("span");
    eprobe.className = "elided";
    eprobe.innerHTML = `… 8,888 more …`;
    const nprobe = document.createElement("span");
    nprobe.className = "elided";
    nprobe.innerHTML = `…888…`;
    for (const p of [probe, eprobe, nprobe]) {
      p.style.visibility = "hidden";
      p.style.position = "absolute";
      host?.appendChild(p);
    }
    const chip = probe.offsetWidth || 48;
    const gap = 4;
    this.elidedCost = ((eprobe.offsetWidth || chip) + gap) / (chip + gap);
    this.narrowElidedCost = ((nprobe.offsetWidth || chip) + gap) / (chip + gap);
    for (const p of [probe, eprobe, nprobe]) p.remove();
    let changed = force;
    for (const mt of MIGRATETYPES) {
      const cell = zel.querySelector(`.fl[data-migratetype="${mt}"]`);
      if (!cell || cell.hidden) continue;
      const w = cell.clientWidth - 14;
      const b = budgetFor(w, chip, gap, 30);
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
      setAttr(zel, "data-active", !!z.flags.active);
      const zd = d.zones.get(z.name);
      if (all || zd?.pageblocks || zd?.lists.size || d.anomalies) this._columns(z, zel);
      if (all || zd?.nrFree || zd?.hintedPages || d.full) this._gutters(z, zel);
      const keys = new Set();
      if (all || d.anomalies) {
        for (const k of this.cells.keys()) if (k.startsWith(`${z.name}|`)) keys.add(k.slice(z.name.length + 1));
      } else if (zd) {
        for (const k of zd.lists) keys.add(k);
      }
      if (d.dropped) for (const k of d.dropped) if (k.startsWith(`${z.name}|`)) keys.add(k.slice(z.name.length + 1));
      for (const key of keys) this._cell(z, key, zd, d);
    }
  }

  _columns(z, zel) {
    const { store, ui } = this.ctx;
    const counts = Object.fromEntries(MIGRATETYPES.map((m) => [m, 0]));
    for (const m of z.pageblocks) counts[m] = (counts[m] ?? 0) + 1;
    const cols = ["7.2rem"];
    let hidden = 0;
    // Columns get room by what they hold (in coarse steps, so they rarely move):
    // the long lists get the width, empty migratetypes stay narrow.
    const weight = (mt) => {
      let longest = 0;
      for (let o = 0; o < store.config.max_order; o++) longest = Math.max(longest, z.lists.get(`${o}/${mt}`)?.length ?? 0);
      const step = longest === 0 ? 0 : longest <= 2 ? 1 : longest <= 5 ? 2 : 3;
      const w = [1.25, 1.9, 2.6, 4.6][step];
      const prev = this.weights?.get(`${z.name}|${mt}`);
      // Hysteresis: grow at once, shrink only when two steps apart.
      if (prev !== undefined && w < prev && [1.25, 1.9, 2.6, 4.6].indexOf(prev) - step < 2) return prev;
      return w;
    };
    this.weights ??= new Map();
    for (const mt of MIGRATETYPES) {
      const small = zel.querySelector(`small[data-pb="${mt}"]`);
      setText(small, `${num(counts[mt])} pageblock${counts[mt] === 1 ? "" : "s"}`);
      let empty = counts[mt] === 0;
      if (empty) {
        for (let o = 0; o < store.config.max_order && empty; o++) if (z.lists.get(`${o}/${mt}`)?.length) empty = false;
      }
      const hide = ui.projector && empty;
      if (hide) hidden++;
      if (zel.dataset[`hide${mt}`] !== String(hide)) {
        zel.dataset[`hide${mt}`] = String(hide);
        for (const el of zel.querySelectorAll(`[data-mt="${mt}"], .fl[data-migratetype="${mt}"]`)) el.hidden = hide;
      }
      const w = mt === "Movable" ? Math.max(MOVABLE_WEIGHT, weight(mt)) : weight(mt);
      this.weights.set(`${z.name}|${mt}`, w);
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
    const { store } = this.ctx;
    const min = store.config.hinting.min_order;
    for (const g of zel.querySelectorAll(".gut[data-order]")) {
      const o = +g.dataset.order;
      // hinted_pages is null until the zone's first cycle allocates it: say so, not "0".
      const hp = o >= min ? (z.hintedPages ? num(z.hintedPages[o - min]) : "–") : null;
      setHTML(g, `<span class="o">o${o}</span><span class="pp">${num(1 << o)} pg</span>` +
        `<span class="nf" data-testid="nr-free" data-zone="${esc(z.name)}" data-order="${o}" title="nr_free">${num(z.nrFree[o])}</span>` +
        (hp === null
          ? `<span class="nh">not hinted</span>`
          : `<span class="hpv" data-testid="hinted-pages" data-zone="${esc(z.name)}" data-order="${o}" title="hinted_pages[${o}]">` +
            `<i class="mini-h" aria-hidden="true"></i>${hp}</span>`));
    }
  }

  _cell(z, key, zd, d) {
    const el = this.cells.get(`${z.name}|${key}`);
    if (!el) return;
    const { store, ui } = this.ctx;
    const slash = key.indexOf("/");
    const order = +key.slice(0, slash);
    const mt = key.slice(slash + 1);
    const list = z.lists.get(key) ?? [];
    const bnd = store.boundary(order, mt);
    const mine = bnd && bnd.zone === z.name;
    const n = list.length;
    let bIndex = -1;
    let stale = false;
    if (mine) {
      if (bnd.pfn === null) bIndex = n;
      else {
        bIndex = list.indexOf(bnd.pfn);
        if (bIndex < 0) stale = true;
      }
    }
    const cellKey = `${z.name}|${key}`;
    const hl = ui.highlight;
    const anomPfns = new Set();
    let anomHere = false;
    for (const a of store.anomalies ?? []) {
      if (a.zone === z.name && a.order === order && a.migratetype === mt) {
        anomHere = true;
        if (a.pfn !== null) anomPfns.add(a.pfn);
      }
    }
    const focus = [];
    if (hl.pfns.size || anomPfns.size) {
      for (let i = 0; i < n; i++) if (hl.pfns.has(list[i]) || anomPfns.has(list[i])) focus.push(i);
    }
    const expanded = ui.expanded.has(cellKey);
    const budget = expanded ? MAX_EXPANDED : (this.budgets.get(`${ui.zone}|${mt}`) ?? 8);
    const narrow = budget < 5;
    const segs = summarise(n, { budget, boundary: bIndex, focus,
      elidedCost: narrow ? (this.narrowElidedCost ?? 1.2) : (this.elidedCost ?? 2) });
    const arrived = zd?.inserted.get(key);
    const before = this.lastPfns.get(key + "|" + z.name);
    const moved = d.boundary?.has(cellKey);
    const dropped = ui.dropped;
    const active = !!z.flags.active;
    const marker = (kind, label, target) =>
      `<span class="bnd ${kind}${moved ? " moved" : ""}" data-testid="boundary" data-target="${target}"` +
      ` data-active="${active}" title="boundary[${order}][${mt}] → ${target === "head" ? "list head" : target}` +
      `${active ? "" : " (ACTIVE is off: stale)"}"><span class="flag">${label}</span></span>`;
    const parts = [];
    for (const s of segs) {
      if (s.kind === "block") {
        const i = s.index;
        const pfn = list[i];
        if (i === bIndex) parts.push(marker("", "boundary", pfn));
        const hinted = z.hinted.has(pfn);
        let cls = "blk";
        if (hl.pfns.has(pfn)) cls += " sel";
        if (anomPfns.has(pfn)) cls += " anom";
        if (!ui.busy && ((arrived && arrived.has(pfn)) || (before && !before.has(pfn) && !d.full))) cls += " new";
        if (dropped.has(pfn)) cls += " dropped";
        parts.push(`<span class="${cls}" data-testid="block" data-pfn="${pfn}" data-hinted="${hinted}"` +
          ` title="pfn ${pfn} · order ${order} · ${mt}${hinted ? " · Hinted" : ""}">${pfn}</span>`);
      } else {
        let h = 0;
        for (let i = s.start; i < s.start + s.count; i++) if (z.hinted.has(list[i])) h++;
        parts.push(`<span class="elided" data-testid="elided" data-count="${s.count}" data-start="${s.start}"` +
          ` title="${s.count} blocks not shown${h ? `, ${h} of them Hinted` : ""}; click to show the whole list">` +
          `${narrow ? `…${num(s.count)}…` : `… ${num(s.count)} more …`}${h ? `<i class="eh" aria-label="${h} Hinted"></i>` : ""}</span>`);
      }
    }
    if (n === 0 && !stale) {
      parts.push(mine ? marker("empty", "—", "head") + `<span class="none">—</span>` : `<span class="none">—</span>`);
    } else if (bIndex === n) {
      parts.push(marker("head", "head", "head"));
    } else if (stale) {
      if (n === 0) parts.push(`<span class="none">—</span>`);
      parts.push(`<span class="bnd stale" data-testid="boundary" data-target="${bnd.pfn}" data-stale="true"` +
        ` data-active="${active}" title="boundary[${order}][${mt}] → ${bnd.pfn}, no longer on this list">` +
        `<span class="flag">stale → ${bnd.pfn}</span></span>`);
    }
    if (expanded && n > budget) parts.push(`<span class="elided" data-collapse="1">collapse</span>`);
    setHTML(el, parts.join(""));
    if (el.classList.contains("sel") !== hl.lists.has(cellKey)) el.classList.toggle("sel");
    if (el.classList.contains("anom") !== anomHere) el.classList.toggle("anom");
    if (el.classList.contains("expanded") !== expanded) el.classList.toggle("expanded");
    setAttr(el, "data-count", n);
    this.lastPfns.set(key + "|" + z.name, new Set(list.length > 2000 ? [] : list));
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
