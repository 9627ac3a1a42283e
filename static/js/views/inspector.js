// The inspector: what is selected (an event, a block, a list) in full, or,
// with nothing selected, the anomaly conditions present now.

import { esc, num, ms, seedRef } from "../util.js";
import { walkOf } from "../panels/freelists.js";
import { zoneFlags } from "../panels/zonehead.js";
import { terms } from "../terms.js";

export class InspectorView {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = document.getElementById("inspector");
    this.el.addEventListener("click", (e) => {
      const a = e.target.closest("[data-anom]");
      if (a) ctx.actions.selectAnomaly(+a.dataset.anom);
      const f = e.target.closest("[data-free]");
      if (f) ctx.actions.free(+f.dataset.free, +f.dataset.order, "free");
      const m = e.target.closest("[data-move]");
      if (m) ctx.actions.prefillMove(+m.dataset.move);
      const c = e.target.closest("[data-clear]");
      if (c) ctx.actions.clearSelection();
    });
  }

  render(d) {
    const { store, ui } = this.ctx;
    if (!(d.full || d.selection || d.anomalies || (ui.selection?.type === "block" && d.zones.size) || d.hinting)) return;
    const sel = ui.selection;
    const t = terms(store);
    this.el.parentElement.classList.toggle("empty", !sel && !(store.anomalies ?? []).length);
    if (!sel) {
      const an = store.anomalies ?? [];
      if (!an.length) {
        this.el.innerHTML = `<h3>inspector</h3><div>Click a block in the grid or the map, a batch entry or an event ` +
          `to see it here. ${t.anomalies}</div>`;
        return;
      }
      this.el.innerHTML = `<h3 class="claim">▲ ${an.length} anomal${an.length === 1 ? "y" : "ies"} now</h3><ul>` +
        an.map((a, i) => `<li data-anom="${i}" data-testid="anomaly"><b>${esc(a.kind)}</b> — ${esc(a.message)} ` +
          `<span class="hint">· ${esc(a.seed_fn)} ${esc(seedRef(a))}</span></li>`).join("") + "</ul>";
      return;
    }
    if (sel.type === "event") {
      const ev = sel.ev;
      this.el.innerHTML = `<h3>▣ event · ${ms(ev.t_ms)} ms${ev.step !== null && ev.step !== undefined ? ` · step ${ev.step}` : ""}</h3>` +
        `<div class="mono">${esc(ev.text)}</div>` +
        (ev.fn ? `<div class="hint">${esc(ev.fn)} · ${esc(seedRef(ev) || "—")}</div>` : "") +
        (ev.claim ? `<div class="claim">▲ ${esc(ev.anomaly)}: ${esc(ev.claim)}</div>` : "") +
        ((ev.blocks ?? []).length ? `<div class="hint">blocks: ${ev.blocks.map((b) => esc(b)).join(", ")}</div>` : "") +
        ((ev.lists ?? []).length ? `<div class="hint">lists: ${ev.lists.map((l) => `${esc(l[0])} o${l[1]} ${esc(l[2])}`).join(", ")}</div>` : "") +
        `<div class="acts"><button class="btn small" data-clear="1">clear (Esc)</button></div>`;
      return;
    }
    if (sel.type === "list") {
      const list = store.list(sel.zone, sel.order, sel.mt);
      const b = store.boundary(sel.order, sel.mt);
      const bTxt = !b ? "unset" : b.zone !== sel.zone ? `points into ${esc(b.zone)}` : b.pfn === null ? "→ list head" : `→ ${b.pfn}`;
      const where = t.boundaries ? `boundary ${bTxt}` : t.walkAt(walkOf(store, sel.zone, sel.order, sel.mt));
      this.el.innerHTML = `<h3>▣ free_list[${sel.order}][${esc(sel.mt)}] · ${esc(sel.zone)}</h3>` +
        `<div>${num(list.length)} block${list.length === 1 ? "" : "s"} of ${num(1 << sel.order)} pages · ${where}</div>` +
        `<div class="mono hint">${list.slice(0, 40).join(" ")}${list.length > 40 ? " …" : ""}</div>` +
        `<div class="acts"><button class="btn small" data-clear="1">clear (Esc)</button></div>`;
      return;
    }
    const blk = store.blockAt(sel.pfn);
    if (!blk || blk.pfn !== sel.pfn) {
      this.el.innerHTML = `<h3>▣ pfn ${sel.pfn}</h3><div>This block is gone: it merged, split or changed hands. ` +
        `${blk ? `pfn ${sel.pfn} is now inside ${blk.kind} block ${blk.pfn} (order ${blk.order}).` : ""}</div>` +
        `<div class="acts"><button class="btn small" data-clear="1">clear (Esc)</button></div>`;
      return;
    }
    const dropped = store.nonresidentIn(blk.pfn, blk.order);
    const n = 1 << blk.order;
    const z = store.zone(blk.zone);
    const pb = z.pageblocks[Math.floor((blk.pfn - z.start) / (1 << store.config.pageblock_order))];
    let what;
    if (blk.kind === "allocated") what = `allocated ${blk.mt}`;
    else if (blk.kind === "inflight") what = `in flight (sg[${blk.sg}]), on no free list`;
    else what = `free on free_list[${blk.order}][${blk.mt}]${blk.hinted ? `, <b>${t.marked}</b>` : ""}`;
    let bnote = "";
    if (blk.kind === "free" && !t.boundaries) {
      const w = walkOf(store, blk.zone, blk.order, blk.mt);
      if (w?.pfn === blk.pfn) bnote = `<div>${t.walkAt(w)}</div>`;
    } else if (blk.kind === "free") {
      const b = store.boundary(blk.order, blk.mt);
      if (b && b.zone === blk.zone && b.pfn === blk.pfn) {
        bnote = `<div>boundary[${blk.order}][${esc(blk.mt)}] points here: the next tail free of an order-${blk.order} ` +
          `${esc(blk.mt)} block lands in front of it${zoneFlags(this.ctx.store, z).active ? "" : " once ACTIVE is set again"}.</div>`;
      }
    }
    this.el.innerHTML = `<h3>▣ pfn ${blk.pfn}${blk.order ? `–${blk.pfn + n - 1}` : ""} · o${blk.order} · ${esc(blk.zone)}</h3>` +
      `<div>${what} · ${dropped === 0 ? "resident" : dropped === n ? "not resident" : `${dropped}/${n} pages not resident`}` +
      ` · pageblock ${esc(pb)}</div>${bnote}<div class="acts">` +
      (blk.kind === "allocated" && ui.role === "controller"
        ? `<button class="btn small dark" data-free="${blk.pfn}" data-order="${blk.order}" data-testid="inspector-free">free it (F)</button>` : "") +
      (ui.role === "controller" ? `<button class="btn small" data-move="${blk.pfn}">move its pageblock…</button>` : "") +
      `<button class="btn small" data-clear="1">clear (Esc)</button></div>`;
  }
}
