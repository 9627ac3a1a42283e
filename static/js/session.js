// Sessions from the page's side: creating one, keeping its control token out
// of the URL, and keeping a copy of its history so that a session lost to a
// server restart can be recreated exactly (its history is a scenario that
// replays to the same state).

const TOKEN_KEY = (id) => `hl.token.${id}`;
export const HISTORY_CAP = 150000; // steps; beyond this a restore starts from the preset instead

export function sessionIdFromPath(path = location.pathname) {
  const m = path.match(/^\/s\/([A-Za-z0-9_-]+)\/?$/);
  return m ? m[1] : null;
}

// Kept in memory too: storage may be refused (private mode, an iframe on another site), and control
// must still last the page's life.
const TOKENS = new Map();

export function storedToken(id) {
  try { return sessionStorage.getItem(TOKEN_KEY(id)) ?? TOKENS.get(id) ?? null; } catch { return TOKENS.get(id) ?? null; }
}

export function storeToken(id, token) {
  TOKENS.set(id, token);
  try { sessionStorage.setItem(TOKEN_KEY(id), token); } catch { /* refused: the copy in memory serves */ }
}

/** POST /api/sessions; resolves with {id, control_token, ...}, rejects with {code, message, field}. */
export async function createSession(body) {
  let res;
  try {
    res = await fetch("/api/sessions", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
  } catch {
    throw { code: "offline", message: "the server cannot be reached", field: null };
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw data.error ?? { code: String(res.status), message: res.statusText, field: null };
  return data;
}

/** Show /s/<id> in the address bar without reloading (the token never goes there). */
export function showSessionUrl(id) {
  const q = new URLSearchParams(location.search);
  q.delete("preset");
  const qs = q.toString();
  history.replaceState(null, "", `/s/${id}${qs ? `?${qs}` : ""}`);
}

/**
 * The session's history as the server records it, kept from the scenario
 * fetched at each snapshot plus the `steps` of every delta.  Steps are keyed
 * by index, and the server rewrites only one kind of step in place (a clock
 * advance that grows), so merging by index with "the longer advance wins"
 * gives the same list whatever order the fetch and the deltas arrive in.
 *
 * While a clock or a workload runs, deltas name only their newest steps
 * (`steps_omitted`): the copy then has holes, and `fill` fetches what it lacks
 * (GET /api/sessions/<id>/steps), at most about once a second, so the copy
 * stays whole a moment behind the server.  A restore uses the longest
 * hole-free prefix, never silently the preset.
 */
export class History {
  constructor({ fetchImpl = (...a) => fetch(...a), fillGapMs = 1000 } = {}) {
    this.fetchImpl = fetchImpl;
    this.fillGapMs = fillGapMs;
    this.reset();
  }

  reset() {
    this.active = false; // kept only for a session this page controls
    this.base = null;
    this.steps = [];
    this.length = 0; // the server's history length, as last heard
    this.whole = 0; // steps[0 .. whole) are all present
    this.known = false;
    this.tooLong = false;
    this.filling = null;
    this.generation = (this.generation ?? 0) + 1;
  }

  async fetchFor(sessionId, historyLength) {
    const gen = ++this.generation;
    this.active = true;
    this.sessionId = sessionId;
    this.base = null;
    this.steps = [];
    this.whole = 0;
    this.length = historyLength;
    this.known = false;
    this.tooLong = historyLength > HISTORY_CAP;
    if (this.tooLong) return;
    try {
      const res = await this.fetchImpl(`/api/sessions/${encodeURIComponent(sessionId)}/scenario`);
      if (!res.ok) return;
      const doc = await res.json();
      if (gen !== this.generation) return;
      const { steps, ...base } = doc;
      this.base = base;
      steps.forEach((s, i) => this._put(i, s));
      this.length = Math.max(this.length, steps.length);
      this.known = true;
      this._advance();
    } catch { /* the copy stays unknown: a restore can only start over */ }
  }

  /** A delta's steps; `length` is its history_length (a fork or an undo makes the history shorter). */
  record(entries, length) {
    if (!this.active || this.tooLong) return;
    if (Number.isInteger(length)) this.truncate(length);
    for (const e of entries ?? []) this._put(e.index, e.step);
    if (this.steps.length > HISTORY_CAP) {
      this.tooLong = true;
      this.steps = [];
      this.whole = 0;
      return;
    }
    this._advance();
    if (this.whole < this.length) this.fill(); // a running session's deltas leave steps out
  }

  truncate(length) {
    this.length = length;
    if (this.steps.length > length) this.steps.length = length;
    if (this.whole > length) this.whole = length;
  }

  _put(i, step) {
    if (this.tooLong || !Number.isInteger(i) || i < 0) return;
    const old = this.steps[i];
    if (old && old.do === "advance" && step.do === "advance" && old.ms > step.ms) return;
    this.steps[i] = step;
  }

  _advance() {
    while (this.whole < this.steps.length && this.steps[this.whole]) this.whole++;
  }

  /** Steps the copy lacks, of those the server has. */
  missing() {
    if (!this.known || this.tooLong) return this.length;
    let n = 0;
    for (let i = this.whole; i < this.length; i++) if (!this.steps[i]) n++;
    return n;
  }

  /** Fetch the steps the copy lacks; resolves when it has them all (or gives up for now). */
  fill() {
    if (!this.active || !this.known || this.tooLong || this.filling || !this.missing()) return this.filling;
    const gen = this.generation;
    const id = encodeURIComponent(this.sessionId);
    this.filling = (async () => {
      try {
        while (gen === this.generation && this.missing()) {
          const res = await this.fetchImpl(`/api/sessions/${id}/steps?start=${this.whole}&stop=${this.length}`);
          if (!res.ok) return;
          const data = await res.json();
          if (gen !== this.generation) return;
          if (data.length < this.steps.length) this.truncate(data.length);
          data.steps.forEach((s, i) => this._put(data.start + i, s));
          this.length = Math.max(this.length, data.length);
          this._advance();
          // More keeps coming while the session runs: fetch again in a moment, not in a tight loop.
          if (this.missing()) await new Promise((r) => setTimeout(r, this.fillGapMs));
        }
      } catch { /* offline: the next delta tries again */ } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  /** A hinting-scenario/1 document of the whole history, or null while anything is missing. */
  scenario() {
    if (!this.known || this.tooLong || !this.base) return null;
    for (let i = 0; i < this.steps.length; i++) if (!this.steps[i]) return null; // a hole: not sure
    return { ...this.base, steps: this.steps.slice() };
  }

  /** What a restore can replay: the longest hole-free prefix, and how much of the history that is. */
  restorable() {
    if (!this.known || this.tooLong || !this.base) return null;
    this._advance();
    const steps = this.steps.slice(0, this.whole);
    return { scenario: { ...this.base, steps }, steps: steps.length, of: Math.max(this.length, this.steps.length) };
  }
}

/**
 * The server no longer knows the session (it restarted, or it expired).
 * A watcher is told so; the controlling page recreates the session from
 * its copy of the history (the whole of it, or as much as it had without a
 * gap, saying so), reconnects under the new id, and restarts the clock and
 * the workload if they were running.
 *
 * @param {object} o
 * @param {boolean} o.wasController
 * @param {History} o.hist
 * @param {object|null} o.lastSession  the session info last heard
 * @param {(html:string|null, bad?:boolean)=>void} o.banner
 * @param {(text:string)=>void} o.toast
 * @param {(id:string)=>void} o.connect
 * @param {()=>Promise<void>} o.waitLive  resolves once the page controls the new session
 * @param {(msg:object, what:string)=>Promise<any>} o.send  a request to the new session
 * @param {(text:string)=>string} o.esc
 */
export async function restoreSession(o) {
  const { hist, lastSession, banner, toast, esc } = o;
  if (!o.wasController) {
    banner(`This session no longer exists on the server (it restarted, or the session expired). ` +
      `<button class="btn small" id="new-session">Start a new session</button>`, true);
    document.getElementById("new-session")?.addEventListener("click", () => { location.href = "/"; });
    return null;
  }
  const kept = hist.restorable();
  const body = kept ? { scenario: kept.scenario } : { preset: lastSession?.preset || "default" };
  banner(kept ? "The server lost this session (it restarted?). Recreating it from its history…"
    : "The server lost this session and this page has no copy of its history; starting over from its preset…");
  let s;
  for (let attempt = 0; !s; attempt++) {
    try {
      s = await createSession(body);
    } catch (err) {
      if (err.code !== "offline" || attempt > 20) { banner(`Could not recreate the session: ${esc(err.message)}`, true); return null; }
      await new Promise((r) => setTimeout(r, 500 * Math.min(8, attempt + 1)));
    }
  }
  storeToken(s.id, s.control_token);
  showSessionUrl(s.id);
  o.connect(s.id);
  if (!kept) toast(`New session ${s.id} from preset ${body.preset}.`);
  else if (kept.steps < kept.of) toast(`Session restored as ${s.id} at step ${kept.steps} of ${kept.of}: the last ${kept.of - kept.steps} steps had not reached this page.`);
  else toast(`Session restored as ${s.id}: ${kept.steps} steps replayed.`);
  // The clock and the workload were running: keep them running.
  if (lastSession?.clock?.running || lastSession?.workload?.running) {
    await o.waitLive();
    if (lastSession.clock.speed !== 1) await o.send({ type: "clock", action: "speed", speed: lastSession.clock.speed }, "clock");
    if (lastSession.clock.running) await o.send({ type: "clock", action: "run" }, "clock");
    const wl = lastSession.workload;
    if (wl?.running) {
      await o.send({ type: "workload", action: "start", rate: wl.rate ?? 1000, seed: wl.seed ?? 1,
        live_target: wl.live_target ?? 200 }, "workload");
    }
  }
  return s;
}
