// A design's words, in one place.  The seed hints in phases fill › react ›
// drain, marks blocks Hinted, keeps boundaries and an hwm; free page reporting
// (terms-reporting.js) has its own.  Views ask terms(store), never the design,
// so a reporting session shows no seed-only word; the seed's are the
// dashboard's as they were.  Reporting's words load on first use (most
// sessions run the seed): frame.js waits for them (termsReady).

const SEED = {
  marked: "Hinted",
  phases: ["fill", "react", "drain"],
  host: "react", // the stop before the host, and the host's call
  fill: "page_hinting_fill",
  process: "page_hinting_process",
  boundaries: true,
  cfg: ["hwm", "min_order", "capacity"], // the projector's one-line config
  chips: ["min_order", "hwm", "capacity"],
  rowTitle: (o) => `hinted_pages[${o}]`,
  faConfig: "boundary[][] is global, shown in the zone it points into",
  pulls: "a cycle's fill pulls unhinted blocks here",
  full: ", capacity reached, so REQUESTED stays set",
  drainBatch: "the blocks go back to the tail of their lists, marked Hinted, in front of the boundary, and the boundaries move.",
  drainNext: "drain: the batch goes back to its free lists, marked Hinted, and the boundaries move",
  drainsAs: "Hinted",
  off: "hinting is off: H turns it on (page_hinting_startup)",
  idle: () => "nothing is pending: a free that takes nr_free to hinted + hwm requests the next cycle",
  wasted: ["wasted hints", "Hinted blocks merged or moved"],
  anomalies: "Anomalies (where the seed breaks its own claims) are listed here while present.",
  page: null, // index.html's own words (PAGE)
};

const DESIGNS = { seed: SEED };
// The page's fixed words a design changes: [selector, property].
const PAGE = [[".brand .sub .nonproj", "textContent"], ["#host-title + .hint", "textContent"], [".seg.hinting .seg-label", "textContent"],
  ["#hinting-start", "title"], ["#hinting-stop", "title"], ["#mode-step", "title"], ["#map-legend span:has(> .sw.hint)", "innerHTML"],
  ["#fa-legend", "innerHTML"]];
let seedPage = null; // index.html's words, kept at the first apply to be put back

/** A design's words join (terms-reporting.js does, when imported). */
export function addTerms(design, words) { DESIGNS[design] = words; }

let loading = null;
/** True when `store`'s design has its words here; else they load, and `then` runs once they have. */
export function termsReady(store, then) {
  if (store?.config?.hinting?.design !== "reporting" || DESIGNS.reporting) return true;
  loading ??= import("./terms-reporting.js").then(then, (e) => { // the server went away: the seed's words, not no page
    console.warn("free page reporting's words did not load", e);
    addTerms("reporting", SEED);
    then();
  });
  return false;
}

/** The design `store`'s words are in: its config's, or the seed's when it names none the dashboard knows. */
export const designOf = (store) => (DESIGNS[store?.config?.hinting?.design] ? store.config.hinting.design : "seed");

/** The words of `store`'s design. */
export const terms = (store) => DESIGNS[designOf(store)];

/** Put the design's words into the page's fixed text (after a snapshot of a new machine); html[data-design] for CSS. */
export function applyTerms(store) {
  const els = PAGE.map(([sel]) => document.querySelector(sel));
  seedPage ??= els.map((el, i) => el?.[PAGE[i][1]]);
  const words = terms(store).page ?? seedPage;
  els.forEach((el, i) => { if (el && el[PAGE[i][1]] !== words[i]) el[PAGE[i][1]] = words[i]; });
  document.documentElement.dataset.design = designOf(store);
}
