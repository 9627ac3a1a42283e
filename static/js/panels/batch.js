// The batch lane's model: the blocks page_hinting_fill pulled off their lists
// (state.hinting.batch), in scatterlist order, and what the next step does
// with them, in the design's words (terms.js).  The live lane (views/batch.js)
// and the SVG export draw from it.

import { terms } from "../terms.js";

/** The batch as zone `z` sees it (the batch of another zone is named, not drawn). */
export function batchModel(store, z) {
  const h = store.hinting ?? {};
  const work = h.work ?? {};
  const all = (h.batch ?? []).map((b, sg) => ({ ...b, sg }));
  const mine = all.filter((b) => b.pfn >= z.start && b.pfn < z.start + z.pages);
  const pages = mine.reduce((s, b) => s + (1 << b.order), 0);
  const cap = store.config.hinting.capacity;
  const t = terms(store);
  const phase = work.phase ?? "idle";
  const blocks = `${mine.length} block${mine.length === 1 ? "" : "s"}`;
  let next = null;
  if (mine.length && phase === t.host) {
    next = { step: t.host, text: `${pages} pages (${blocks}) leave the host. Allocs and frees go on meanwhile: the zone lock is dropped.` };
  } else if (mine.length && phase === "drain") {
    next = { step: "drain", text: t.drainBatch };
  }
  return {
    all, mine, pages, cap, full: all.length >= cap, phase, zone: work.zone ?? null, reacted: phase === "drain", next,
    other: all.length > 0 && mine.length === 0, // in flight, but of another zone
  };
}
