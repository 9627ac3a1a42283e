// The event log: each event in words (its `text`), the seed function and its
// lines in the seed patch, filterable; a click selects it and highlights the
// blocks and lists it touched.
//
// Nothing is lost.  While a run goes on, deltas carry only each frame's newest
// events and the log draws fewer rows; it remembers from which step it is
// missing some, and on pause (or when a filter is chosen) it asks the server
// for every event of those steps (GET /api/sessions/{id}/events, a replay).
// After time travel it shows the steps around the position, the step at the
// position marked.  The server caps an answer at its newest N events and says
// so; the log says so too.
//
// Every lookup of an event's category or tag goes through category(ev) and
// tag(ev): the server names both (ev.category, ev.tag), the tables here are
// for events that do not.

import { terms } from "../terms.js";
import { esc, ms, num, seedRef } from "../util.js";

const MAX_LOG = 30000;
const MAX_ROWS = 250;
const FAST_ROWS = 12;
const WINDOW_BEFORE = 12; // steps shown before the position after time travel
const WINDOW_AFTER = 6; // and after it (the kept future)

/** One of step, alloc, free, hinting, work, boundary, anomaly: named by the server (core/trace.py). */
export function category(ev) {
  return ev.category ?? (ev.anomaly ? "anomaly" : "hinting");
}

/** The short label before the message, named by the server with the category. */
export function tag(ev) {
  return ev.tag ?? String(ev.kind ?? "").toUpperCase();
}

// key (kept stable: views and permalinks name it), label, the categories it shows
export const FILTERS = [
  ["all", "all", null], ["step", "steps", ["step"]], ["allocfree", "alloc/free", ["alloc", "free"]],
  ["hint", "hinting", ["hinting", "work"]], ["bnd", "boundary", ["boundary"]], ["anom", "▲", ["anomaly"]],
];

/** The server-side form of a filter (see app/eventlog.py): categories to keep, or anomalies only. */
function serverFilter(f) {
  const cats = FILTERS.find(([k]) => k === f)?.[2];
  if (!cats) return {};
  if (f === "anom") return { anomalies: "1" };
  return { categories: cats.join(",") };
}

const isAdvance = (ev) => ev.kind === "step" && ev.step_do?.do === "advance";

export function matches(ev, filter, text, opts = {}) {
  if (ev.note || ev.marker) return !opts.projector;
  if (ev.gap) return filter === "all" && !text && !opts.projector;
  if (ev.quiet && !opts.quiet) return false;
  // The running clock adds an "advance" step every frame: on a projector only
  // what the machine did is worth the room.
  if (opts.projector && isAdvance(ev)) return false;
  const cats = FILTERS.find(([k]) => k === filter)?.[2];
  if (cats && !cats.includes(category(ev)) && !(filter === "anom" && ev.anomaly)) return false;
  if (text) {
    const hay = `${ev.text} ${ev.fn ?? ""} ${ev.kind} ${(ev.blocks ?? []).join(" ")}`.toLowerCase();
    return text.split(/\s+/).every((w) => hay.includes(w));
  }
  return true;
}

const stepOf = (e) => (e.step ?? e.fromStep ?? null);

export class EventsView {
  constructor(ctx) {
    this.ctx = ctx;
    this.scroller = document.getElementById("ev-list");
    this.list = document.getElementById("ev-rows");
    this.filtersEl = document.getElementById("ev-filters");
    this.textEl = document.getElementById("ev-text");
    this.followBtn = document.getElementById("ev-follow");
    this.statusEl = document.getElementById("ev-status");
    this.log = [];
    this.fresh = [];
    this.filter = "all";
    this.text = "";
    this.quiet = false;
    this.following = true;
    this.rebuild = true;
    this.anomCount = -1;
    this.arrivals = 0;
    this.lastRender = 0;
    this.rateWindow = { t: performance.now(), n: 0, perSec: 0 };
    this.missingFrom = null; // the first step whose events the log may lack (null: none missing)
    this.since = 0; // the first step the log holds (earlier ones: "load earlier")
    this.here = null; // {cursor, length}: after time travel, the position shown
    this.filtered = null; // a filter's own fetch: {filter, from, to, events, capped, skipped}
    this.gen = 0; // bumped by clear(): answers to older fetches are dropped
    this.running = false;
    this.filtersEl.innerHTML = FILTERS.map(([k, label]) =>
      `<button class="btn${k === "anom" ? " anom" : ""}" data-filter="${k}" data-testid="event-filter-${k}"` +
      ` aria-pressed="${k === "all"}">${label}</button>`).join("") +
      `<button class="btn quiet" data-quiet="1" data-testid="event-filter-quiet" aria-pressed="false" hidden` +
      ` title="events where the code looked and did nothing, and why">why not</button>`;
    this.filtersEl.addEventListener("click", (e) => {
      const b = e.target.closest("[data-filter]");
      if (b) this.setFilter(b.dataset.filter);
      if (e.target.closest("[data-quiet]")) this.toggleQuiet();
    });
    this.textEl.addEventListener("input", () => {
      this.text = this.textEl.value.trim().toLowerCase();
      this.rebuild = true;
      ctx.invalidate({ events: true });
    });
    this.list.addEventListener("click", (e) => {
      if (e.target.closest("[data-earlier]")) { this.loadEarlier(); return; }
      const src = e.target.closest("[data-seed]");
      if (src) { ctx.actions.openSeed?.(src.dataset.seed); return; }
      const row = e.target.closest(".ev");
      if (row?.ev && !row.ev.note && !row.ev.marker && !row.ev.gap) ctx.actions.selectEvent(row.ev);
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
    // A design without boundaries has no boundary events: its filter is hidden (app.css) and skipped.
    const keys = FILTERS.map(([k]) => k).filter((k) => k !== "bnd" || terms(this.ctx.store).boundaries);
    this.setFilter(keys[(keys.indexOf(this.filter) + 1) % keys.length]);
  }

  setFilter(f) {
    if (!FILTERS.some(([k]) => k === f)) return;
    this.filter = f;
    for (const b of this.filtersEl.querySelectorAll("[data-filter]")) b.setAttribute("aria-pressed", String(b.dataset.filter === f));
    this.filtered = null;
    this.rebuild = true;
    this._fillFilter();
    this.ctx.invalidate({ events: true });
  }

  toggleQuiet() {
    this.quiet = !this.quiet;
    this.filtersEl.querySelector("[data-quiet]").setAttribute("aria-pressed", String(this.quiet));
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  clear() {
    this.log = [];
    this.fresh = [];
    this.missingFrom = null;
    this.since = 0;
    this.here = null;
    this.filtered = null;
    this.gen++;
    this.rebuild = true;
  }

  /** A line of the page's own, not an event. */
  note(text) {
    this._add({ note: text });
  }

  /** Events of a delta.  `prev` is the cursor before it; `omitted`, events the server left out. */
  push(events, omitted, prev = null, stepsOmitted = 0) {
    if (this.here) this._leaveWindow();
    if (omitted || stepsOmitted) {
      const from = Math.max(0, (prev ?? this.ctx.timeline.cursor) - 1); // the step a clock advance may be growing
      if (this.missingFrom === null || from < this.missingFrom) this.missingFrom = from;
      if (omitted) this._add({ gap: omitted, fromStep: from });
    }
    for (const ev of events) {
      const last = this.log.at(-1);
      // The running clock grows one step frame by frame: one row, updated.
      if (isAdvance(ev) && last && isAdvance(last) && last.step === ev.step && ev.step !== null) {
        last.ms = (last.ms ?? last.step_do.ms) + ev.step_do.ms;
        last.text = `step ${last.step}: advance ${num(last.ms)} ms (the running clock, one step while nothing else happens)`;
        last.touched = true;
        this.touched = last;
        continue;
      }
      this._add(ev);
    }
  }

  _add(ev) {
    this.log.push(ev);
    this.fresh.push(ev);
    if (this.log.length > MAX_LOG + 500) {
      const cut = this.log.splice(0, this.log.length - MAX_LOG);
      const s = cut.findLast((e) => stepOf(e) !== null);
      if (s) this.since = Math.max(this.since, stepOf(s) + 1);
    }
    if (this.fresh.length > MAX_ROWS * 2) this.fresh.splice(0, this.fresh.length - MAX_ROWS);
    this.arrivals++;
  }

  /** The clock or workload started or stopped; on stopping, fetch what the run's deltas left out. */
  runState(running) {
    const was = this.running;
    this.running = running;
    if (was && !running) this.complete();
  }

  /** Make the log hold every event since it started missing some. */
  complete() {
    if (this.missingFrom === null) return this._fillFilter();
    const { cursor } = this.ctx.timeline;
    const from = Math.min(this.missingFrom, cursor);
    return this._fetch(from, cursor).then((r) => {
      if (!r) return;
      this._replace(r);
      this.missingFrom = r.capped || r.skipped_steps ? r.requested_from : null;
      this._fillFilter();
    });
  }

  /** After time travel: the steps around the position, the position's step marked. */
  travelled(cursor, length) {
    this.clear();
    this.here = { cursor, length };
    this.since = Math.max(0, cursor - WINDOW_BEFORE);
    this.note(this._hereText());
    clearTimeout(this.windowTimer);
    // Scrubbing moves the position many times a second: fetch where it stops.
    this.windowTimer = setTimeout(() => this._fetchWindow(), 120);
  }

  _hereText() {
    const { cursor, length } = this.here;
    return `at step ${num(cursor)} of ${num(length)} · the state shown is after step ${num(cursor - 1)} (marked ▸)` +
      (cursor < length ? " · below it, the kept later steps" : "");
  }

  async _fetchWindow() {
    const h = this.here;
    if (!h) return;
    const from = Math.max(0, h.cursor - WINDOW_BEFORE);
    const to = Math.min(h.length, h.cursor + WINDOW_AFTER);
    const r = await this._fetch(from, to);
    if (!r || this.here !== h) return;
    const evs = r.events.map((e) => ({ ...e, later: e.step !== null && e.step >= h.cursor }));
    const at = evs.findIndex((e) => e.later);
    const note = { note: this._hereText(), here: true };
    this.log = [];
    if (r.from > 0) this.log.push({ marker: `steps before ${num(r.from)}`, earlier: r.from });
    if (r.capped) this.log.push({ marker: `… ${num(r.capped)} earlier events of these steps not loaded (the log keeps the newest ${num(r.cap)})` });
    this.log.push(...(at < 0 ? evs : evs.slice(0, at)), note, ...(at < 0 ? [] : evs.slice(at)));
    this.since = r.from;
    this.missingFrom = r.capped ? r.from : null;
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  /** New steps at the end of the history: the travel window (and its kept future) gives way to the live log. */
  _leaveWindow() {
    this.log = this.log.filter((e) => !e.later && !e.here);
    this.here = null;
    this.rebuild = true;
  }

  /** A session opened at the end of a history (a permalink, a tour's setup): the last steps' events, for context. */
  async recent(cursor) {
    const gen = this.gen;
    const from = Math.max(0, cursor - WINDOW_BEFORE);
    const r = await this._fetch(from, cursor);
    if (!r || gen !== this.gen || this.log.some((e) => e.kind)) return; // live events came first: keep them
    this.log = [...(r.from > 0 ? [{ marker: `steps before ${num(r.from)}`, earlier: r.from }] : []), ...r.events];
    this.since = r.from;
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  /** Prepend the events of the 50 steps before the earliest held. */
  async loadEarlier() {
    const to = this.since;
    if (!to) return;
    const from = Math.max(0, to - 50);
    const r = await this._fetch(from, to);
    if (!r) return;
    const head = this.log.findIndex((e) => !e.marker);
    const kept = head < 0 ? [] : this.log.slice(head);
    this.log = [...(r.from > 0 ? [{ marker: `steps before ${num(r.from)}`, earlier: r.from }] : []),
      ...(r.capped ? [{ marker: `… ${num(r.capped)} earlier events of steps ${num(r.from)}–${num(r.to - 1)} not loaded` }] : []),
      ...r.events, ...kept];
    this.since = r.from;
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  /** With a filter and a log missing events: the filter's matches over the missing steps, from the server. */
  _fillFilter() {
    const f = this.filter;
    if (f === "all" || this.missingFrom === null) { this.filtered = null; return null; }
    const { cursor } = this.ctx.timeline;
    const from = Math.min(this.missingFrom, cursor);
    return this._fetch(from, cursor, serverFilter(f)).then((r) => {
      if (!r || this.filter !== f) return;
      this.filtered = { filter: f, from: r.from, to: r.to, events: r.events, capped: r.capped, skipped: r.skipped_steps, cap: r.cap };
      this.rebuild = true;
      this.ctx.invalidate({ events: true });
    });
  }

  /** Put a fetched range in place of what the log held for those steps. */
  _replace(r) {
    const inRange = (e) => {
      const s = stepOf(e);
      return s !== null && s >= r.requested_from && s < r.to;
    };
    let at = this.log.findIndex(inRange);
    if (at < 0) at = this.log.findIndex((e) => stepOf(e) !== null && stepOf(e) >= r.to);
    if (at < 0) at = this.log.length;
    const before = this.log.slice(0, at).filter((e) => !inRange(e));
    const after = this.log.slice(at).filter((e) => !inRange(e));
    const marks = [];
    if (r.skipped_steps) {
      marks.push({ marker: `steps ${num(r.requested_from)}–${num(r.from - 1)}: too many to replay at once (the server's ` +
        `limit); travel there to read their events`, fromStep: r.requested_from });
    }
    if (r.capped) {
      marks.push({ marker: `… ${num(r.capped)} earlier events of steps ${num(r.from)}–${num(r.to - 1)} not loaded: the log ` +
        `keeps the newest ${num(r.cap)}. A filter (boundary, ▲, …) reads all of them.`, fromStep: r.from });
    }
    this.log = [...before, ...marks, ...r.events, ...after];
    this.fresh = [];
    this.rebuild = true;
    this.ctx.invalidate({ events: true });
  }

  async _fetch(from, to, extra = {}) {
    const id = this.ctx.sessionId;
    if (!id || to < from) return null;
    const gen = this.gen;
    const q = new URLSearchParams({ from: String(from), to: String(to), ...extra });
    this._status(`loading the events of steps ${num(from)}–${num(Math.max(from, to - 1))}…`);
    try {
      const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/events?${q}`);
      const data = await res.json().catch(() => ({}));
      if (gen !== this.gen) return null;
      if (res.status === 429) {
        const wait = Math.max(1, +(res.headers.get("retry-after") ?? 2));
        this._status(data.error?.message ?? "the server is busy", true);
        setTimeout(() => { if (gen === this.gen) this.complete(); }, wait * 1000);
        return null;
      }
      if (!res.ok) { this._status(`the log could not load those events: ${data.error?.message ?? res.status}`, true); return null; }
      this._status("");
      return data;
    } catch {
      if (gen === this.gen) this._status("the log could not reach the server", true);
      return null;
    }
  }

  _status(text, bad = false) {
    if (!this.statusEl) return;
    this.statusEl.textContent = text;
    this.statusEl.hidden = !text;
    this.statusEl.classList.toggle("bad", bad);
  }

  /** The entries to show with the current filter (a filter's own fetch stands in for the steps it covers). */
  _source() {
    const f = this.filtered;
    if (!f || f.filter !== this.filter) return this.log;
    const inF = (e) => { const s = stepOf(e); return s !== null && s >= f.from && s < f.to; };
    const at = this.log.findIndex(inF);
    const head = (at < 0 ? this.log : this.log.slice(0, at)).filter((e) => !inF(e) && !e.marker);
    const tail = at < 0 ? [] : this.log.slice(at).filter((e) => !inF(e) && !e.marker);
    const marks = [];
    if (f.skipped) marks.push({ marker: `steps before ${num(f.from)} were too many to replay at once: travel there to read them` });
    if (f.capped) marks.push({ marker: `… ${num(f.capped)} earlier matches not loaded (the newest ${num(f.cap)} are)` });
    return [...head, ...marks, ...f.events, ...tail];
  }

  _row(ev, isNew) {
    const el = document.createElement("div");
    el.ev = ev;
    if (ev.note) {
      el.className = `ev gap note${ev.here ? " here-note" : ""}`;
      el.dataset.testid = "log-note";
      el.textContent = ev.here ? `▲ ${ev.note} ▼` : `— ${ev.note} —`;
      return el;
    }
    if (ev.marker) {
      el.className = "ev gap marker";
      el.dataset.testid = "log-marker";
      el.innerHTML = ev.earlier
        ? `<button class="btn small" data-earlier="1" data-testid="log-earlier">load the events of earlier steps</button> ` +
          `<span>${esc(ev.marker)} not loaded</span>`
        : esc(ev.marker);
      return el;
    }
    if (ev.gap) {
      el.className = "ev gap";
      el.textContent = ev.skipped
        ? `… ${num(ev.gap)} more event${ev.gap === 1 ? "" : "s"} went by (pause or filter to read every one)`
        : `… ${num(ev.gap)} event${ev.gap === 1 ? "" : "s"} of this frame not sent while running: pause to load them`;
      return el;
    }
    const c = category(ev);
    const adv = isAdvance(ev);
    const here = this.here && ev.step === this.here.cursor - 1;
    el.className = `ev c-${c}${adv ? " adv" : ""}${ev.anomaly ? " anom" : ""}${isNew ? " new" : ""}` +
      `${ev.later ? " later" : ""}${here ? " here" : ""}${ev.quiet ? " quiet" : ""}`;
    el.dataset.testid = "event";
    el.dataset.fn = ev.fn ?? "";
    el.dataset.kind = ev.kind;
    el.dataset.category = c;
    el.dataset.seq = ev.seq;
    if (ev.step !== null && ev.step !== undefined) el.dataset.step = ev.step;
    if (here) el.dataset.here = "true";
    el.setAttribute("role", "option");
    if (ev.anomaly) el.dataset.anomaly = ev.anomaly;
    this._fill(el, ev);
    return el;
  }

  _fill(el, ev) {
    const src = seedRef(ev);
    const where = ev.fn && ev.kind !== "step" && !ev.text.startsWith(ev.fn) ? `${ev.fn} · ` : "";
    const lines = ev.seed_lines ? `${ev.seed_lines[0]}-${ev.seed_lines[1]}` : "";
    const ref = src ? (lines
      ? ` <span class="src">· <span class="fnref">${esc(where)}</span><a class="seed" data-seed="${lines}" role="button" tabindex="0"` +
        ` title="show these lines of the seed patch">${esc(src)}</a></span>`
      : ` <span class="src">· <span class="fnref">${esc(where)}</span>${esc(src)}</span>`) : "";
    el.innerHTML = `<span class="t">${ms(ev.t_ms)}</span><span class="tag">${ev.anomaly ? "▲ " : ""}${esc(tag(ev))}</span>` +
      `<span class="msg">${esc(ev.text)}${ref}</span>`;
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
    this._badges();
    const opts = { projector: this.ctx.ui.projector, quiet: this.quiet };
    if (this.rebuild || d.full) {
      this.rebuild = false;
      this.fresh = [];
      this.touched = null;
      const src = this._source();
      const rows = [];
      for (let i = src.length - 1; i >= 0 && rows.length < MAX_ROWS; i--) {
        if (matches(src[i], this.filter, this.text, opts)) rows.push(src[i]);
      }
      const more = src.length && rows.length >= MAX_ROWS;
      rows.reverse();
      if (more) rows.unshift({ marker: "only the newest rows are drawn: filter or search to find older ones" });
      this.list.replaceChildren(...rows.map((ev) => this._row(ev, false)));
      this._scroll();
      // After time travel: the position's line in the middle of the log, the steps that led there above it.
      const mark = this.here && this.list.querySelector(".here-note");
      if (mark) {
        const sr = this.scroller.getBoundingClientRect();
        const mr = mark.getBoundingClientRect();
        this.scroller.scrollTop += mr.top + mr.height / 2 - (sr.top + sr.height * 0.6);
      }
    } else if ((this.fresh.length || this.touched) && this.following) {
      if (this.touched) {
        const row = this.list.lastElementChild;
        if (row?.ev === this.touched) this._fill(row, this.touched);
        this.touched = null;
      }
      let add = this.fresh.filter((ev) => matches(ev, this.filter, this.text, opts));
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

  _badges() {
    let anoms = 0;
    let quiet = 0;
    for (const e of this.log) { if (e.anomaly) anoms++; if (e.quiet) quiet++; }
    if (anoms !== this.anomCount) {
      this.anomCount = anoms;
      this.filtersEl.querySelector('[data-filter="anom"]').textContent = `▲ ${anoms}`;
    }
    const q = this.filtersEl.querySelector("[data-quiet]");
    if (q.hidden !== !quiet) q.hidden = !quiet;
  }

  _scroll() {
    if (this.following && this.scroller.scrollTop !== 0) this.scroller.scrollTop = 0; // 0 is the bottom (column-reverse)
  }

  /** The last n events that happened (for the projector, the explainer and tests): not the kept future's. */
  last(n) {
    const out = [];
    for (let i = this.log.length - 1; i >= 0 && out.length < n; i--) if (this.log[i].kind && !this.log[i].later) out.push(this.log[i]);
    return out.reverse();
  }

  /** Every event the log holds (tests and benchmarks). */
  events() { return this.log.filter((e) => e.kind); }
}
