// The zone-lock lane: the hinting work's holds of the zone lock, oldest to
// newest (costs.py keeps the latest 32 with their virtual time), held as
// solid ink, dropped as a light comb between them.  Each hold's width grows
// with the work done in it (entries read + blocks pulled and put back), and
// what it did is written under it: lists scanned, entries read, blocks pulled
// and put back, merges.  The longest hold of the run is marked ▲ (by entries
// read, then blocks moved, as costs.py's `longest`).  While a pass is stopped
// (stepping mode) the lane ends in "dropped now": the batch is out.
//
// Used by compare mode (one lane per side) and by a single-design session
// (under the batch panel); loaded lazily, as everything under compare/.

import { esc } from "../util.js";

const work = (h) => h.entries + h.pulled + h.put_back;

export function lockLaneHTML(store, label) {
  const lock = store.hinting?.costs?.lock;
  const phase = store.hinting?.work?.phase ?? "idle";
  const stopped = phase !== "idle";
  if (!lock) return `<div class="ll-empty">no hinting work has run</div>`;
  const recent = lock.recent ?? [];
  const longest = lock.longest ?? {};
  const earlier = lock.holds - recent.length;
  let maxIdx = -1;
  recent.forEach((h, i) => {
    if (maxIdx < 0 || h.entries > recent[maxIdx].entries ||
      (h.entries === recent[maxIdx].entries && work(h) > work(recent[maxIdx]))) maxIdx = i;
  });
  const isRunLongest = (h) => h.entries === longest.entries && h.entries > 0;
  const scale = Math.max(1, ...recent.map(work));
  const parts = [];
  if (earlier > 0) parts.push(`<span class="ll-more" title="${earlier} earlier holds not shown">+${earlier}</span>`);
  recent.forEach((h, i) => {
    const grow = 1 + Math.round((7 * work(h)) / scale);
    const mark = i === maxIdx ? (isRunLongest(h) ? "run" : "shown") : "";
    const title = `held at t ${h.t_ms} ms in ${h.zone}: ${h.lists} list${h.lists === 1 ? "" : "s"} scanned, ${h.entries} ` +
      `entr${h.entries === 1 ? "y" : "ies"} read, ${h.pulled} pulled, ${h.put_back} put back, ${h.merges} merge${h.merges === 1 ? "" : "s"}, ` +
      `${h.pages} pages moved${mark === "run" ? " · the longest hold of the run" : mark === "shown" ? " · the longest shown" : ""}`;
    if (i > 0 || earlier > 0) parts.push(`<span class="ll-drop" aria-hidden="true"></span>`);
    parts.push(`<span class="ll-hold${mark ? " longest" : ""}" data-testid="lock-hold" style="flex-grow:${grow}" ` +
      `data-entries="${h.entries}" data-pulled="${h.pulled}" data-put-back="${h.put_back}" data-merges="${h.merges}" ` +
      `data-lists="${h.lists}" data-t="${h.t_ms}"${mark ? ` data-longest="${mark}"` : ""} title="${esc(title)}">` +
      `<i></i><small>${h.lists}L ${h.entries}r ${h.pulled}↑${h.put_back ? ` ${h.put_back}↓` : ""}${h.merges ? ` ${h.merges}m` : ""}</small>` +
      `${mark ? `<b class="ll-mark">▲ longest</b>` : ""}</span>`);
  });
  if (stopped) parts.push(`<span class="ll-drop now" title="the work is stopped at ${esc(phase)}: the lock is dropped, the batch is out"></span><span class="ll-now">dropped · ${esc(phase)}</span>`);
  if (!recent.length && !stopped) parts.push(`<span class="ll-empty">no hold yet</span>`);
  const sum = `${lock.holds} hold${lock.holds === 1 ? "" : "s"}; longest: ${longest.lists ?? 0} lists, ${longest.entries ?? 0} read, ` +
    `${longest.pulled ?? 0} pulled, ${longest.put_back ?? 0} put back, ${longest.merges ?? 0} merges`;
  return `<div class="ll-head"><b>zone lock</b> <span class="hint">${esc(label ?? "")} held <i class="ll-key held"></i> / dropped ` +
    `<i class="ll-key drop"></i> · L lists, r read, ↑ pulled, ↓ put back, m merges</span>` +
    `<span class="hint right" data-testid="lock-summary">${esc(sum)}</span></div><div class="ll-row">${parts.join("")}</div>`;
}

/** A lane that redraws when the store's costs or work changed. */
export class LockLane {
  constructor(el, store, label, side) {
    this.el = el;
    this.store = store;
    this.label = label;
    el.classList.add("lock-lane");
    el.setAttribute("data-testid", "lock-lane");
    if (side) el.dataset.side = side;
    this.last = "";
  }

  render() {
    const html = lockLaneHTML(this.store, this.label);
    if (html !== this.last) { this.el.innerHTML = html; this.last = html; }
  }
}
