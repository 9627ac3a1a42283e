// The in-flight batch (state.hinting.batch): blocks page_hinting_fill pulled
// off their lists.  They are on no free list while the cycle is stopped, so
// they get a lane of their own, in scatterlist order, on their way to the host.

import { batchModel } from "../panels/batch.js";
import { terms } from "../terms.js";
import { esc, MT_SHORT, MT_CLASS } from "../util.js";

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
    if (!(d.full || d.hinting || d.selection || d.batch || d.zoneChanged)) return;
    const { store, ui } = this.ctx;
    const z = store.zone(ui.zone);
    if (!z) return;
    const m = batchModel(store, z);
    const batch = m.all; // the whole scatterlist: a block of another zone is still in flight
    const t = terms(store);
    document.getElementById("batch-panel").classList.toggle("has-batch", batch.length > 0);
    if (!batch.length) {
      this.sub.textContent = `none in flight · ${t.pulls}; in Step mode they wait here while the zone lock is dropped`;
      this.lane.innerHTML = "";
      this.prev = new Set();
      this.lane.dataset.count = "0";
      return;
    }
    this.sub.textContent = `${t.fill} → scatterlist · ${batch.length}/${m.cap}` +
      (m.full ? t.full : "") + (m.zone ? ` · zone ${m.zone}` : "");
    const parts = batch.map((b) => {
      const cls = ["fly"];
      if (!this.prev.has(b.pfn) && !d.full) cls.push("new");
      if (ui.highlight.pfns.has(b.pfn)) cls.push("sel");
      return `<div class="${cls.join(" ")}" data-testid="batch-block" data-pfn="${b.pfn}" data-order="${b.order}"` +
        ` data-migratetype="${esc(b.migratetype)}" title="sg[${b.sg}]: pfn ${b.pfn}, order ${b.order}, ${esc(b.migratetype)}">` +
        `<span class="sg">sg[${b.sg}]</span><span class="main">${b.pfn}<span class="o">o${b.order}</span>` +
        `<span class="m">${MT_SHORT[b.migratetype] ?? "?"} <i class="sw ${MT_CLASS[b.migratetype] ?? ""}"></i></span></span></div>`;
    });
    parts.push(`<span class="arrow" aria-hidden="true">- - -→</span>`);
    parts.push(`<div class="hostbox${m.reacted ? " has" : ""}">host · ${t.host}<small>${m.reacted ? "has dropped the pages" : "not yet called"}</small></div>`);
    const next = batchModel(store, store.zone(m.zone) ?? z).next;
    parts.push(`<div class="next">${next ? `<b>next step: ${next.step}</b> — ${esc(next.text)}` : ""}</div>`);
    this.lane.innerHTML = parts.join("");
    this.lane.dataset.count = String(batch.length);
    this.prev = new Set(batch.map((b) => b.pfn));
  }
}
