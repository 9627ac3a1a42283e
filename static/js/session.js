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
 */
export class History {
  constructor() {
    this.reset();
  }

  reset() {
    this.active = false; // kept only for a session this page controls
    this.base = null;
    this.steps = [];
    this.known = false;
    this.tooLong = false;
    this.generation = (this.generation ?? 0) + 1;
  }

  async fetchFor(sessionId, historyLength) {
    const gen = ++this.generation;
    this.active = true;
    this.base = null;
    this.steps = [];
    this.known = false;
    this.tooLong = historyLength > HISTORY_CAP;
    if (this.tooLong) return;
    try {
      const res = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/scenario`);
      if (!res.ok) return;
      const doc = await res.json();
      if (gen !== this.generation) return;
      const { steps, ...base } = doc;
      this.base = base;
      steps.forEach((s, i) => this._put(i, s));
      this.known = true;
    } catch { /* the restore falls back to the preset */ }
  }

  record(entries) {
    if (!this.active) return;
    for (const e of entries ?? []) this._put(e.index, e.step);
    if (this.steps.length > HISTORY_CAP) {
      this.tooLong = true;
      this.steps = [];
    }
  }

  _put(i, step) {
    if (this.tooLong) return;
    const old = this.steps[i];
    if (old && old.do === "advance" && step.do === "advance" && old.ms > step.ms) return;
    this.steps[i] = step;
  }

  /** A hinting-scenario/1 document that replays to the session's state, or null. */
  scenario() {
    if (!this.known || this.tooLong || !this.base) return null;
    for (let i = 0; i < this.steps.length; i++) if (!this.steps[i]) return null; // a hole: not sure
    return { ...this.base, steps: this.steps.slice() };
  }
}
