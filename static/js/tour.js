// Guided tours: a tour preset (app/presets.py) played one step at a time,
// with its narrative beside the picture, and "predict, then reveal": before a
// step that asks, the learner guesses where a boundary will point (or answers
// a question: predict.js), then sees.
//
// The tour's position is the timeline's: a tour session starts with its setup
// steps applied, so after `setup + p` steps the learner has seen p narrated
// steps.  Going back is time travel; going forward travels along the kept
// history when it is the tour's, and otherwise sends the tour's next step.

import { $, esc, num, setAttr, setHTML, setProp } from "./util.js";

const EXTRA = new Set(["say", "predict", "setup"]);
const MAX_CHOICES = 48;
// x86-64: MAX_ORDER 11, pageblock_order 9, and the seed's min_order = pageblock_order (core/explain.py).
const X86_64 = [11, 9, 9];

/** The tour machine's orders in words, and whether they are x86-64's (core/explain.py says the same). */
export function geometryText(doc) {
  const mo = doc?.machine?.max_order ?? X86_64[0];
  const pb = doc?.machine?.pageblock_order ?? X86_64[1];
  const mn = doc?.hinting?.min_order ?? pb;
  const orders = `max_order ${mo}, pageblock_order ${pb}, min_order ${mn}`;
  if (mo === X86_64[0] && pb === X86_64[1] && mn === X86_64[2]) return `${orders}: x86-64's geometry`;
  return `${orders}: a shrunken machine (x86-64: ${X86_64.join(", ")})`;
}

/** The parts of a tour document the player needs. */
export function tourModel(doc) {
  const all = Array.isArray(doc?.steps) ? doc.steps : [];
  return {
    title: doc?.title ?? "tour",
    description: doc?.description ?? "",
    intro: doc?.intro ?? "",
    outro: doc?.outro ?? "",
    anomaly: doc?.anomaly ?? null,
    geometry: geometryText(doc),
    x86: typeof doc?.x86_64?.why === "string" ? doc.x86_64.why : "",
    setup: all.filter((s) => s?.setup).length,
    steps: all.filter((s) => !s?.setup),
  };
}

/** The scenario step without the teaching fields. */
export function stripStep(s) {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !EXTRA.has(k)));
}

const canon = (v) => (v && typeof v === "object" && !Array.isArray(v)
  ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(",")}}`
  : JSON.stringify(v));

/** Same step, whatever the key order (and the teaching fields aside). */
export function sameStep(a, b) {
  return !!a && !!b && canon(stripStep(a)) === canon(stripStep(b));
}

/** Where a boundary could point at `order` in a zone: "head" and every block-aligned pfn (null when too many). */
export function choices(zone, order, max = MAX_CHOICES) {
  const size = 1 << order;
  const n = Math.floor(zone.pages / size);
  if (n > max) return null;
  const first = Math.ceil(zone.start / size) * size;
  return ["head", ...Array.from({ length: n }, (_, i) => first + i * size).filter((p) => p + size <= zone.start + zone.pages)];
}

/** A boundary entry ({zone, pfn} or null) in words. */
export function boundaryText(b, zone) {
  if (!b) return "unset";
  const where = zone && b.zone !== zone ? ` (of ${b.zone})` : "";
  return b.pfn === null || b.pfn === undefined ? `the list head${where}` : `block ${b.pfn}${where}`;
}

/** Was the guess ("head" or a pfn) right about the boundary `b`? */
export function judge(guess, b, zone) {
  if (guess === null || guess === undefined || !b) return false;
  if (zone && b.zone !== zone) return false;
  return guess === "head" ? b.pfn === null || b.pfn === undefined : b.pfn === guess;
}

export class Tour {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = $("#tour");
    this.name = null;
    this.model = null;
    this.docs = new Map();
    this.guesses = new Map(); // tour position -> guess, for the step about to be played
    this.lastPos = null;
    this.el.addEventListener("click", (e) => {
      const err = e.target.closest(".err");
      if (err) err.hidden = true;
      const b = e.target.closest("button");
      if (!b) return;
      if (b.dataset.guess !== undefined) this.guess(b.dataset.guess === "head" ? "head" : +b.dataset.guess);
      else if (b.dataset.act === "next") this.next();
      else if (b.dataset.act === "back") this.back();
      else if (b.dataset.act === "restart") this.restart();
      else if (b.dataset.act === "rejoin") this.ctx.timelineView.travel(+b.dataset.to);
    });
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = e.target.querySelector("input")?.value;
      if (v !== "" && v !== undefined) this.guess(+v);
    });
  }

  /** Follow the session: a tour preset, or the tour a link named. */
  sync(name) {
    if (name !== this.name) this.loading = this._load(name);
    return this.loading;
  }

  async _load(name) {
    this.name = name;
    this.model = null;
    // A refusal shown for the last tour is not this one's.
    const err = this.el.querySelector('[data-for="tour"]');
    if (err) err.hidden = true;
    this.guesses.clear();
    this.lastPos = null;
    if (!name) { this.ctx.invalidate({ tour: true }); return; }
    let doc = this.docs.get(name);
    if (doc === undefined) {
      try {
        const res = await fetch(`/api/presets/${encodeURIComponent(name)}`);
        doc = res.ok ? await res.json() : null;
      } catch { doc = null; }
      this.docs.set(name, doc);
    }
    if (this.name !== name) return;
    if (doc?.steps?.some((s) => s?.predict?.choices)) this.pm ??= await import("./predict.js").then((x) => x.attach(this), () => null);
    if (this.name !== name) return;
    this.model = doc?.kind === "tour" ? tourModel(doc) : null;
    this.pm?.load(name, doc);
    this.ctx.invalidate({ tour: true, timeline: true });
  }

  active() {
    return !!this.model;
  }

  /** Whether a tour is on, once any tour being loaded has loaded. */
  async settled() {
    await this.loading;
    return this.active();
  }

  /** Narrated steps seen (can be < 0 before the setup, > steps.length after the end). */
  pos() {
    return this.ctx.timeline.cursor - this.model.setup;
  }

  span() {
    return this.model ? { setup: this.model.setup, steps: this.model.steps.length } : null;
  }

  label(cursor) {
    if (!this.model) return "";
    const p = cursor - this.model.setup;
    return p < 0 ? "tour setup" : p === 0 ? "tour start" : p <= this.model.steps.length ? `tour step ${p}` : "after the tour";
  }

  /** The first narrated step the history does not share with the tour, or -1 (controllers keep the history). */
  offPath() {
    const { hist } = this.ctx;
    if (!hist.known || !this.model) return -1;
    const m = this.model;
    const upto = Math.min(this.pos(), m.steps.length);
    for (let j = 0; j < upto; j++) {
      const have = hist.steps[m.setup + j];
      if (have && !sameStep(have, m.steps[j])) return j;
    }
    return -1;
  }

  guess(v) {
    if (!this.model || Number.isNaN(v)) return;
    this.guesses.set(this.pos(), v);
    this.ctx.invalidate({ tour: true }); // a guess stays on this device: each viewer predicts for themselves
  }

  async next() {
    await this.loading; // a key pressed while the tour is still loading acts once it has loaded
    if (!this.model) return null;
    const { cursor, length } = this.ctx.timeline;
    const m = this.model;
    const p = cursor - m.setup;
    const tv = this.ctx.timelineView;
    if (p < 0) return tv.travel(Math.min(length, m.setup));
    const off = this.offPath();
    if (off >= 0) return tv.travel(m.setup + off); // back to the path first
    if (p >= m.steps.length) {
      if (cursor < length) return tv.travel(cursor + 1);
      this.ctx.controls.error("tour", { message: "the tour is over: Restart plays it again, or act on your own" });
      return null;
    }
    const want = m.steps[p];
    if (this.pm?.refuse(p)) return null;
    if (cursor < length) {
      const have = this.ctx.hist.steps[cursor];
      if (!this.ctx.hist.known || sameStep(have, want)) return tv.travel(cursor + 1);
    }
    return this.ctx.controls.doStep(stripStep(want), "tour");
  }

  async back() {
    await this.loading;
    if (!this.model) return null;
    const { cursor } = this.ctx.timeline;
    if (cursor <= this.model.setup) {
      this.ctx.controls.error("tour", { message: "this is the tour's start" });
      return null;
    }
    return this.ctx.timelineView.travel(cursor - 1);
  }

  async restart() {
    await this.loading;
    return this.model ? this.ctx.timelineView.travel(this.model.setup) : null;
  }

  /** What a presenter needs: the step just shown and the one to come (speaker notes). */
  notes() {
    const m = this.model;
    if (!m) return null;
    const p = this.pos();
    const n = m.steps.length;
    const now = p <= 0 ? m.intro : p <= n ? m.steps[p - 1].say ?? "" : "";
    const next = p < 0 ? "The tour's setup." : p < n ? m.steps[p].say ?? "" : p === n ? m.outro : "";
    const a = p >= 0 && p < n ? m.steps[p].predict : null;
    return { p, n, now, next, prompt: a?.prompt ?? a?.question ?? "" };
  }

  render() {
    const m = this.model;
    setProp(this.el.parentElement, "hidden", !m); // the panel around it
    document.documentElement.dataset.tour = m ? "1" : "";
    if (!m) return;
    const { store, ui } = this.ctx;
    const p = this.pos();
    const n = m.steps.length;
    const ro = ui.role !== "controller" || ui.status !== "live";
    // Just played a step that asked for a prediction: show its list.
    if (p !== this.lastPos) {
      const asked = p >= 1 && p <= n ? m.steps[p - 1].predict?.boundary : null;
      if (asked && this.lastPos === p - 1) this.ctx.actions.selectList(asked.zone, asked.order, asked.migratetype);
      this.lastPos = p;
    }
    const off = this.offPath();
    const embedded = document.documentElement.dataset.embed === "1";
    const parts = [];
    // Off the path, the narrative shown is the last step the history shares with the tour.
    const q = off >= 0 ? off : p;
    const pct = Math.max(0, Math.min(1, q / n));
    parts.push(`<div class="panel-head"><h2>tour</h2><span class="hint tour-title" title="${esc(m.geometry)}">${esc(m.title)}</span>` +
      `<span class="right tour-count" data-testid="tour-progress" data-pos="${p}" data-steps="${n}">` +
      `${off >= 0 ? `off the path after step ${off}` : p <= 0 ? "start" : p > n ? "after the end" : `step ${p} / ${n}`}</span></div>` +
      `<div class="tour-bar" aria-hidden="true"><b style="width:${(pct * 100).toFixed(1)}%"></b></div>`);
    let say;
    if (off >= 0) say = off === 0 ? `<p>${esc(m.intro || m.description)}</p>` : `<p class="now"><span class="sn">${off}</span>${esc(m.steps[off - 1].say ?? "")}</p>`;
    else if (p < 0 && embedded) say = `<p>${esc(m.intro || m.description)}</p>`; // a slide shows the narrative only
    else if (p < 0) say = `<p>The tour's setup is not complete at this position (step ${num(this.ctx.timeline.cursor)} of its ${m.setup} setup steps). Next goes to the tour's start.</p>`;
    else if (p === 0) say = `<p>${esc(m.intro || m.description)}</p>`;
    else if (p <= n) say = `<p class="now"><span class="sn">${p}</span>${esc(m.steps[p - 1].say ?? "")}</p>`;
    else if (embedded) say = `<p>${esc(m.outro)}</p>`;
    else say = `<p>You are past the tour's last step: these are your own steps. Restart plays the tour again.</p>`;
    parts.push(`<div class="tour-say" data-testid="tour-say">${say}</div>`);
    // At the start, the geometry the lesson runs on, and whether it happens on x86-64.
    if (p <= 0 && off < 0) {
      parts.push(`<div class="tour-geometry" data-testid="tour-geometry"><b>Geometry:</b> ${esc(m.geometry)}.` +
        `${m.x86 ? ` ${esc(m.x86)}` : ""}</div>`);
    }
    // The reveal, for a step that asked.
    const asked = p >= 1 && p <= n ? m.steps[p - 1].predict : null;
    if (asked?.boundary && store.loaded && off < 0) {
      const b = asked.boundary;
      const actual = store.boundary(b.order, b.migratetype);
      const g = this.guesses.get(p - 1);
      const right = judge(g, actual, b.zone);
      const said = g === undefined ? "" : g === "head" ? "the list head" : `block ${g}`;
      parts.push(`<div class="tour-reveal" data-testid="tour-reveal" data-right="${g === undefined ? "" : right}">` +
        `<b>${g === undefined ? "Revealed" : right ? "✓ Right" : "✗ Not this time"}:</b> ` +
        `boundary[${b.order}][${esc(b.migratetype)}] now points at <b>${esc(boundaryText(actual, b.zone))}</b>` +
        `${g !== undefined && !right ? ` (you said ${esc(said)})` : ""}.</div>`);
    }
    parts.push(this.pm?.reveal(p, off) ?? "");
    if (p === n && off < 0) parts.push(`<div class="tour-outro" data-testid="tour-outro"><b>In short.</b> ${esc(m.outro)}</div>`);
    if (off >= 0) {
      parts.push(`<div class="tour-off" data-testid="tour-off">You left the tour's path at its step ${off + 1}: ` +
        `the steps since are your own. <button class="btn small" data-act="rejoin" data-to="${m.setup + off}"` +
        `${ro ? " disabled" : ""}>back to step ${off}</button></div>`);
    }
    // Predict, then reveal.
    const ask = p >= 0 && p < n && off < 0 ? m.steps[p].predict : null;
    parts.push(this.pm?.ask(p, off, ro) ?? "");
    if (ask?.boundary && store.loaded) {
      const b = ask.boundary;
      const z = store.zone(b.zone);
      const g = this.guesses.get(p);
      const opts = z ? choices({ start: z.start, pages: z.pages }, b.order) : null;
      const onList = new Set(store.list(b.zone, b.order, b.migratetype));
      const nowB = store.boundary(b.order, b.migratetype);
      let pick;
      if (opts) {
        pick = `<div class="chips guess" role="group" aria-label="your guess">` + opts.map((v) => {
          const lbl = v === "head" ? "list head" : String(v);
          const cls = v !== "head" && onList.has(v) ? " on" : "";
          return `<button class="btn small${cls}" data-guess="${v}" data-testid="predict-choice" data-value="${v}"` +
            ` aria-pressed="${g === v}"${v !== "head" && onList.has(v) ? ' title="on the list now"' : ""}>${lbl}</button>`;
        }).join("") + `</div>`;
      } else {
        pick = `<form class="guess"><input type="number" min="0" placeholder="pfn" data-testid="predict-pfn" aria-label="your guess: a pfn">` +
          `<button class="btn small">guess</button></form>`;
      }
      parts.push(`<div class="tour-predict" data-testid="tour-predict"><div class="q"><b>Predict:</b> ${esc(ask.prompt)}</div>` +
        `<div class="hint">boundary[${b.order}][${esc(b.migratetype)}] in ${esc(b.zone)} points at ${esc(boundaryText(nowB, b.zone))} now; ` +
        `blocks in bold are on the list now. Pick one, then Next reveals.</div>${pick}` +
        `${g !== undefined ? `<div class="hint" data-testid="predict-guess">your guess: <b>${g === "head" ? "the list head" : `block ${g}`}</b></div>` : ""}</div>`);
    }
    const wait = this.pm?.waiting(p);
    const nextLbl = off >= 0 ? "Back to the tour" : wait ? "Answer first" : ask ? (this.guesses.has(p) ? "Reveal" : "Skip & reveal") : p === 0 ? "Start" : "Next";
    parts.push(`<div class="row tour-btns">` +
      `<button class="btn" data-act="back" data-testid="tour-back" title="Back one step (B)"${ro || p <= 0 ? " disabled" : ""}>◂ Back</button>` +
      `<button class="btn primary" data-act="next" data-testid="tour-next" title="Play the tour's next step (N)"` +
      `${ro || wait || (p >= n && this.ctx.timeline.cursor >= this.ctx.timeline.length) ? " disabled" : ""}>${nextLbl} ▸ <kbd>N</kbd></button>` +
      `<button class="btn" data-act="restart" data-testid="tour-restart" title="Back to the tour's start"${ro || p === 0 ? " disabled" : ""}>Restart</button>` +
      `<div class="err" data-testid="error" data-for="tour" role="alert" hidden></div></div>`);
    const html = parts.join("");
    if (html !== this.html) {
      // Keep a shown error across redraws.
      const err = this.el.querySelector('[data-for="tour"]');
      const keep = err && !err.hidden ? err.outerHTML : null;
      const focused = document.activeElement && this.el.contains(document.activeElement)
        ? document.activeElement.dataset.act ?? document.activeElement.dataset.guess : null;
      this.html = html;
      setHTML(this.el, html);
      if (keep) this.el.querySelector('[data-for="tour"]').outerHTML = keep;
      if (focused) this.el.querySelector(`[data-act="${focused}"], [data-guess="${focused}"]`)?.focus();
      this.pm?.drawn(p);
    }
    setAttr(this.el, "data-pos", p);
  }
}
