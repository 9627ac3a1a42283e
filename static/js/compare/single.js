// The zone-lock lane of a single-design session, under the batch panel (issue 11: "also shown for
// single-design sessions").  Loaded on first use, as all of compare/.

import { loadCss } from "./css.js";
import { LockLane } from "./locklane.js";

export function singleLane(ctx) {
  loadCss();
  const el = document.createElement("div");
  document.getElementById("batch-panel").appendChild(el);
  const lane = new LockLane(el, ctx.store, "the hinting work's", null);
  return {
    name: "locklane",
    render(d) {
      if (!(d.full || d.hinting || d.costs || d.layout)) return;
      lane.render();
    },
  };
}
