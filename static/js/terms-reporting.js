// Free page reporting's words (Linux 5.7; spec MODEL-REPORTING.md, named after
// core/page_reporting.py): it walks each list from the head, reports the
// scatterlist and drains it, marks blocks Reported, and has no boundaries and
// no hwm.  The same vocabulary as compare mode (compare/side.js).  Loaded on
// first use by terms.js; the keys are the seed's (terms.js).

import { addTerms } from "./terms.js";

addTerms("reporting", {
  marked: "Reported",
  phases: ["walk", "report", "drain"],
  host: "report",
  fill: "page_reporting_cycle",
  process: "page_reporting_process",
  boundaries: false,
  cfg: ["min_order", "capacity", "delay_ms"],
  chips: ["min_order", "capacity", "delay_ms"],
  rowTitle: (o) => `Reported blocks of order ${o}`,
  faConfig: "next ▸ marks where each list's next cycle starts",
  pulls: "a cycle's walk isolates unreported blocks here",
  full: ", full: the cycle reports it now",
  drainBatch: "the blocks go back to their lists (page_reporting_drain, no notify); each that did not merge is marked Reported.",
  drainNext: "drain: the batch goes back to its free lists (page_reporting_drain); each block that did not merge is marked Reported",
  drainsAs: "Reported unless it merges",
  off: "no device is registered: H registers one (page_reporting_register)",
  idle: (c) => `nothing is pending: a free that leaves a block of order ≥ ${c.min_order} requests a pass, due ${c.delay_ms} ms later`,
  wasted: ["wasted reports", "Reported blocks merged away"],
  anomalies: "Anomalies are listed here while present.",
  // a list's walk position (or a block at it) in the inspector
  walkAt: (w) => (w ? `next ▸ ${w.pfn}: the next page_reporting_cycle of this list isolates it first` +
    `${w.skipped ? ` (after ${w.skipped} Reported)` : ""}` : "nothing left to report here"),
  page: [
    "free page reporting · Linux 5.7 · ", "the hypervisor behind report · whole guest", "Reporting",
    "page_reporting_register (H toggles)", "page_reporting_unregister (H toggles)",
    "Step: the work stops where page_reporting drops the zone lock (M toggles)", '<i class="sw hint"></i>free, Reported',
    '<span><i class="lg-blk"></i>free block</span><span><i class="lg-blk h"></i>free, Reported</span>' +
      '<span title="page_reporting_cycle walks a list from the head, skips Reported blocks, rotates the list and stops when its budget is spent">' +
      '<i class="walk">next ▸</i>the walk position: the next cycle isolates this block first</span>' +
      '<span><i class="lg-blk u"></i>freed while the lock was dropped</span><span><i class="lg-anom"></i>an anomaly</span>',
  ],
});
