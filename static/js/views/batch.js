// The in-flight batch (state.hinting.batch): blocks page_hinting_fill pulled
// off their lists.  They are on no free list while the cycle is stopped, so
// they get a lane of their own, in scatterlist order, on their way to the host.

import { esc, num, MT_SHORT, MT_CLASS } from "../util.js";

export class BatchView {
  constructor(ctx) {
    this.ctx = ctx;
    this.lane = document.getElementById("batch-lane");
    this.sub = document.getElementById("batch-sub");
    this.prev = new Set();
    this.lane.addEventListener("click", (e) => {
      const b = e.target.closest(".fly");
      if (b) ctx.actions.selectBlock(+b.dataset.pfn);
    });
  }

  render(d) {
    if (!(d.full || d.hinting || d.selection || d.batch)) return;
    const { store, ui } = this.ctx;
    const h = store.hinting ?? {};
    const batch = h.batch ?? [];
    const work = h.work ?? {};
    const cap = store.config.hinting.capacity;
    const pages = batch.reduce((s, b) => s + (1 << b.order), 0);
    document.getElementById("batch-panel").classList.toggle("has-batch", batch.length > 0);
    if (!batch.length) {
      this.sub.textContent = "none in flight · a cycle's fill pulls unhinted blocks here; in Step mode they wait " +
        "here while the zone lock is dropped";
      this.lane.innerHTML = "";
      this.prev = new Set();
      this.lane.dataset.count = "0";
      return;
    }
    const full = batch.length >= cap;
    this.sub.textContent = `page_hinting_fill → scatterlist · ${batch.length}/${cap}` +
      (full ? ", capacity reached, so REQUESTED stays set" : "") + (work.zone ? ` · zone ${work.zone}` : "");
    const parts = batch.map((b, i) => {
      const cls = ["fly"];
      if (!this.prev.has(b.pfn) && !d.full) cls.push("new");
      if (ui.highlight.pfns.has(b.pfn)) cls.push("sel");
      return `<div class="${cls.join(" ")}" data-testid="batch-block" data-pfn="${b.pfn}" data-order="${b.order}"` +
        ` data-migratetype="${esc(b.migratetype)}" title="sg[${i}]: pfn ${b.pfn}, order ${b.order}, ${esc(b.migratetype)}">` +
        `<span class="sg">sg[${i}]</span><span class="main">${b.pfn}<span class="o">o${b.order}</span>` +
        `<span class="m">${MT_SHORT[b.migratetype] ?? "?"} <i class="sw ${MT_CLASS[b.migratetype] ?? ""}"></i></span></span></div>`;
    });
    const reacted = work.phase === "drain";
    parts.push(`<span class="arrow" aria-hidden="true">- - -→</span>`);
    parts.push(`<div class="hostbox${reacted ? " has" : ""}">host · react<small>${reacted ? "has dropped the pages" : "not yet called"}</small></div>`);
    let next = "";
    if (work.phase === "react") {
      next = `<b>next step: react</b> — ${num(pages)} pages (${batch.length} block${batch.length === 1 ? "" : "s"}) ` +
        `leave the host. Allocs and frees go on meanwhile: the lock is dropped.`;
    } else if (work.phase === "drain") {
      next = `<b>next step: drain</b> — the blocks go back to the tail of their lists, Hinted, ` +
        `in front of the boundary.`;
    }
    parts.push(`<div class="next">${next}</div>`);
    this.lane.innerHTML = parts.join("");
    this.lane.dataset.count = String(batch.length);
    this.prev = new Set(batch.map((b) => b.pfn));
  }
}
