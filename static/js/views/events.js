// The event log: each event in words (its `text`), the seed function and its
// lines in the seed patch, filterable; a click selects it and highlights the
// blocks and lists it touched.  The log keeps a few thousand events in memory
// but at most MAX_ROWS rows in the DOM, so a 1,000 steps/s workload cannot
// grow the page.

import { esc, ms, seedRef } from "../util.js";

const MAX_LOG = 4000;
const MAX_ROWS = 250;
const FAST_ROWS = 12;

// Each event comes with its category and tag (declared once in the core, core/trace.py);
// the log's filters and colours use short names for three of the categories.
const SHORT = { hinting: "hint", boundary: "bnd", anomaly: "anom" };
const FILTERS = [
  ["all", "all"], ["step", "steps"], ["allocfree", "alloc/free"], ["hint", "hinting"], ["bnd", "boundary"],
  ["anom", "▲"],
];

export const category = (ev) => (ev.anomaly ? "anom" : SHORT[ev.category] ?? ev.category ?? "hint");

function matches(ev, filter, text, projector) {
  if (ev.note) return !projector;
  if (ev.gap) return filter === "all" && !text && !projector;
  // The running clock adds an "advance" step every frame: on a projector only
  // what the machine did is worth the room.
  if (projector && ev.kind === "step" && ev.step_do?.do === "advance") return false;
  const c = category(ev);
  if (filter === "allocfree" && c !== "alloc" && c !== "free") return false;
  if (filter === "hint" && c !== "hint" && c !== "work") return false;
  if (filter === "step" && c !== "step") return false;
  if (filter === "bnd" && c !== "bnd") return false;
  if (filter === "anom" && !ev.anomaly) return false;
  if (text) {
    const hay = `${ev.text} ${ev.fn ?? ""} ${ev.kind} ${(ev.blocks ?? []).join(" ")}`.toLowerCase();
    return text.split(/\s+/).every((w) => hay.includes(w));
  }
  return true;
}

export class EventsView {
  constructor(ctx) {
    this.ctx = ctx;
    this.scroller = document.getElementById("ev-list");
    this.list = document.getElementById("ev-rows");
    this.filtersEl = document.getElementById("ev-filters");
    this.textEl = document.getElementById("ev-text");
    this.followBtn = document.getElementById("ev-follow");
    this.log = [];
    this.fresh = [];
    this.filter = "all";
    this.text = "";
    this.following = true;
    this.rebuild = true;
    this.anomCount = 0;
    this.anomTotal = 0;
    this.arrivals = 0;
    this.lastRender = 0;
    this.rateWindow = { t: performance.now(), n: 0, perSec: 0 };
    this.filtersEl.innerHTML = FILTERS.map(([k, label]) =>
      `<button class="btn${k === "anom" ? " anom" : ""}" data-filter="${k}" data-testid="event-filter-${k}"` +
      ` aria-pressed="${k === "all"}">${label}</button>`).join("");
    this.filtersEl.addEventListener("click", (e) => {
      const b = e.target.closest("[data-filter]");
      if (b) this.setFilter(b.dataset.filter);
    });
    this.textEl.addEventListener("input", () => {
      this.text = this.textEl.value.trim().toLowerCase();
      this.rebuild = true;
      ctx.invalidate({ events: true });
    });
    this.list.addEventListener("click", (e) => {
      const row = e.target.closest(".ev");
      if (row?.ev) ctx.actions.selectEvent(row.ev);
    });
    // Reading from the log pauses it; only the user's own scrolling does (wheel,
    // keys, the scrollbar), so the page's own scrolling never fights the reader.
    const unfollow = () => {
      if (!this.following) return;
      this.following = false;
      this.followBtn.hidden = false;
      this.followBtn.textContent = "↓ follow";
    };
    this.scroller.addEventListener("wheel", (e) => { if (e.deltaY < 0) unfollow(); }, { passive: true });
    this.scroller.addEventListener("keydown", (e) => { if (["ArrowUp", "PageUp", "Home"].includes(e.key)) unfollow(); });
    this.scroller.addEventListener("pointerdown", (e) => { if (e.target === this.scroller) unfollow(); });
    this.scroller.addEventListener("scroll", () => {
      if (!this.following && this.scroller.scrollTop > -8) this.follow(); // back at the bottom
    }, { passive: true });
    this.followBtn.addEventListener("click", () => this.follow());
  }

  follow() {
    this.following = true;
    this.followBtn.hidden = true;
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  nextFilter() {
    const i = FILTERS.findIndex(([k]) => k === this.filter);
    this.setFilter(FILTERS[(i + 1) % FILTERS.length][0]);
  }

  setFilter(f) {
    this.filter = f;
    for (const b of this.filtersEl.querySelectorAll("[data-filter]")) b.setAttribute("aria-pressed", String(b.dataset.filter === f));
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  clear() {
    this.log = [];
    this.fresh = [];
    this.anomTotal = 0;
    this.rebuild = true;
  }

  /** A line of the page's own (time travel), not an event. */
  note(text) {
    this._add({ note: text });
  }

  push(events, omitted) {
    if (omitted) this._add({ gap: omitted });
    for (const ev of events) this._add(ev);
  }

  _add(ev) {
    this.log.push(ev);
    this.fresh.push(ev);
    if (ev.anomaly) this.anomTotal++;
    if (this.log.length > MAX_LOG + 500) {
      for (const old of this.log.splice(0, this.log.length - MAX_LOG)) if (old.anomaly) this.anomTotal--;
    }
    if (this.fresh.length > MAX_ROWS * 2) this.fresh.splice(0, this.fresh.length - MAX_ROWS);
    this.arrivals++;
  }

  _row(ev, isNew) {
    const el = document.createElement("div");
    if (ev.note) {
      el.className = "ev gap note";
      el.dataset.testid = "log-note";
      el.textContent = `— ${ev.note} —`;
      return el;
    }
    if (ev.gap) {
      el.className = "ev gap";
      el.textContent = ev.skipped
        ? `… ${ev.gap} more event${ev.gap === 1 ? "" : "s"} went by (all are in the log: pause or filter to read them)`
        : `… ${ev.gap} earlier event${ev.gap === 1 ? "" : "s"} of this frame not sent (running fast)`;
      return el;
    }
    const c = category(ev);
    const adv = ev.kind === "step" && ev.step_do?.do === "advance";
    el.className = `ev c-${c}${adv ? " adv" : ""}${ev.anomaly ? " anom" : ""}${isNew ? " new" : ""}`;
    el.dataset.testid = "event";
    el.dataset.fn = ev.fn ?? "";
    el.dataset.kind = ev.kind;
    el.dataset.seq = ev.seq;
    el.setAttribute("role", "option");
    if (ev.anomaly) el.dataset.anomaly = ev.anomaly;
    const src = seedRef(ev);
    const where = ev.fn && ev.kind !== "step" && !ev.text.startsWith(ev.fn) ? `${ev.fn} · ` : "";
    el.innerHTML = `<span class="t">${ms(ev.t_ms)}</span><span class="tag">${ev.anomaly ? "▲ " : ""}${esc(ev.tag ?? ev.kind.toUpperCase())}</span>` +
      `<span class="msg">${esc(ev.text)}${src ? ` <span class="src">· ${esc(where)}${esc(src)}</span>` : ""}</span>`;
    el.ev = ev;
    return el;
  }

  render(d) {
    const sel = this.ctx.ui.selection?.type === "event" ? this.ctx.ui.selection.ev : null;
    if (d.selection) {
      for (const r of this.list.querySelectorAll(".ev.sel")) r.classList.remove("sel");
    }
    // Hundreds of events a second cannot be read: redraw the log a few times a
    // second then, rather than on every frame.
    const now = performance.now();
    const rw = this.rateWindow;
    if (now - rw.t > 500) { rw.perSec = (this.arrivals - rw.n) * 1000 / (now - rw.t); rw.t = now; rw.n = this.arrivals; }
    const fast = rw.perSec > 60;
    const minGap = fast ? 250 : 0;
    if (!this.rebuild && !d.full && !d.selection && now - this.lastRender < minGap) {
      if (!this.timer) {
        this.timer = setTimeout(() => { this.timer = 0; this.ctx.invalidate({ events: true }); }, minGap - (now - this.lastRender));
      }
      return;
    }
    this.lastRender = now;
    const rebuilt = this.rebuild || d.full;
    const anoms = this.anomTotal;
    if (anoms !== this.anomCount) {
      this.anomCount = anoms;
      const b = this.filtersEl.querySelector('[data-filter="anom"]');
      b.textContent = `▲ ${anoms}`;
    }
    if (this.rebuild || d.full) {
      this.rebuild = false;
      this.fresh = [];
      const rows = [];
      for (let i = this.log.length - 1; i >= 0 && rows.length < MAX_ROWS; i--) {
        if (matches(this.log[i], this.filter, this.text, this.ctx.ui.projector)) rows.push(this.log[i]);
      }
      rows.reverse();
      this.list.replaceChildren(...rows.map((ev) => this._row(ev, false)));
      this._scroll();
    } else if (this.fresh.length && this.following) {
      let add = this.fresh.filter((ev) => matches(ev, this.filter, this.text, this.ctx.ui.projector));
      this.fresh = [];
      // Hundreds a second cannot be read: show the newest few and say how many went by.
      const keep = fast ? FAST_ROWS : MAX_ROWS;
      if (add.length > keep) add = [{ gap: add.length - keep, skipped: true }, ...add.slice(-keep)];
      if (add.length) {
        const frag = document.createDocumentFragment();
        for (const ev of add) frag.appendChild(this._row(ev, minGap === 0));
        const placeholder = this.list.querySelector(".ev.gap.none");
        if (placeholder) placeholder.remove();
        this.list.appendChild(frag);
        let extra = this.list.childElementCount - MAX_ROWS;
        while (extra-- > 0) this.list.firstElementChild.remove();
      }
    } else if (this.fresh.length && !this.following) {
      this.followBtn.textContent = `↓ ${this.fresh.length}${this.fresh.length >= MAX_ROWS ? "+" : ""} new · follow`;
    }
    if (!this.list.firstElementChild && !this.rebuild) {
      this.list.innerHTML = `<div class="ev gap none">${this.log.length ? "No event matches the filter."
        : "No events yet. Act (alloc, free, step, …) and every kernel function it runs shows here, with its lines in the seed patch."}</div>`;
    }
    if (sel && (d.selection || rebuilt)) {
      for (const r of this.list.children) if (r.ev === sel) r.classList.add("sel");
    }
  }

  _scroll() {
    if (this.following && this.scroller.scrollTop !== 0) this.scroller.scrollTop = 0; // 0 is the bottom (column-reverse)
  }

  /** The last n events (for the projector and tests). */
  last(n) { return this.log.slice(-n); }
}
