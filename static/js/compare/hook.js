// Where compare mode meets the page (main.js imports this on first use: a compare session's first
// message, a `?compare=` in the address, or the first zone-lock hold of the hinting work).
//
// It loads compare/index.js when a session is in compare mode (messages that arrive meanwhile wait,
// in order), keeps the Compare toggle's state, honours `?compare=1|0` once the page controls its
// session, adds the zone-lock lane under a single machine's batch in stepping mode, and draws what
// it loaded after each frame the dashboard draws (frame.js calls ctx.afterFrame).

const waiting = [];
let compare = null;
let loading = null;
let lane = null;
let asked = !/[?&]compare=/.test(location.search);
const late = []; // views drawn after each frame: {name, render(d)}

function hookFrames(ctx) {
  if (ctx.afterFrame?.hooked) return;
  const before = ctx.afterFrame;
  const after = (d) => {
    before?.(d);
    const stats = window.hintingLab?.stats?.views;
    for (const v of late) {
      const t0 = performance.now();
      v.render(d);
      if (stats) {
        const s = stats[v.name] ?? (stats[v.name] = { ms: 0, max: 0, n: 0 });
        const dt = performance.now() - t0;
        s.ms += dt; s.n++; if (dt > s.max) s.max = dt;
      }
    }
  };
  after.hooked = true;
  ctx.afterFrame = after;
}

/** `?compare=1` (or 0) on a session's page: once this page controls the session, put it in (or out of) compare mode. */
function ask(ctx) {
  if (asked) return;
  if (ctx.ui.role !== "controller" || !ctx.session) { setTimeout(() => ask(ctx), 200); return; }
  asked = true;
  const want = new URLSearchParams(location.search).get("compare") === "1";
  if (!!ctx.session.compare !== want) document.getElementById("compare-toggle").click();
}

export function onMessage(ctx, msg) {
  hookFrames(ctx);
  ask(ctx);
  const on = !!msg.pair;
  if (msg.type === "snapshot") document.getElementById("compare-toggle")?.setAttribute("aria-pressed", String(on));
  if (compare) compare.onMessage(msg);
  else if (on) {
    waiting.push(msg);
    loading ??= import("./index.js").then((m) => {
      compare = new m.Compare(ctx);
      compare.name = "compare";
      late.push(compare);
      ctx.compare = compare;
      for (const w of waiting.splice(0)) compare.onMessage(w);
    });
  }
  // A single machine's zone-lock lane: in stepping mode, once the work has taken the lock.
  const store = ctx.store;
  if (!lane && !on && store.config?.hinting?.stepping && store.hinting?.costs?.lock?.holds > 0) {
    lane = import("./single.js").then((m) => { late.push(m.singleLane(ctx)); ctx.invalidate({ layout: true }); });
  }
}
