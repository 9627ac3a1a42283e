// Export: one zone of a hinting-state/1 document as a standalone SVG picture.
//
// For slides and bug reports: the zone header (lamps, refcnt, work phase,
// virtual time), the free-area grid with the boundary markers, the in-flight
// batch and a compact physical memory map.  Pure string building (no DOM), so
// it runs in node and in the browser and the same state and options always
// give the same bytes.  Encodings follow shared/design/DESIGN.md: colour is
// never the only channel (hatch = Hinted, dots + dashes = in flight, lamp
// filled/hollow, dashed bar = boundary while ACTIVE is off, ▲ = anomaly).

const MTS = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"];
const MT_COL = { Unmovable: "#CC79A7", Movable: "#0072B2", Reclaimable: "#56B4E9", HighAtomic: "#F0E442", Isolate: "#000000" };
const MT_ABBR = { Unmovable: "U", Movable: "M", Reclaimable: "R", HighAtomic: "H", Isolate: "I" };
const GREEN = "#009E73";
const ORANGE = "#E69F00";
const VERM = "#D55E00";
const SANS = "Inter, system-ui, sans-serif";
const MONO = "'JetBrains Mono', ui-monospace, monospace";

const BASE = { fs: 12, fsS: 10.5, fsK: 18, fsT: 14, bh: 20, bfs: 11, gap: 4, sw: 1, pad: 16, barH: 44, hatch: 6, bar: 3,
  minCell: 9, maxCell: 26, maxRows: 16, mapH: 12 };
const THEMES = {
  light: { ...BASE, bg: "#F3F4F5", panel: "#FFFFFF", line: "#D9DCDF", ink: "#1B1D1F", ink2: "#4A4F55", ink3: "#767B81",
    top: "#FFFFFF", topInk: "#1B1D1F", blk: "#FFFFFF", blkLine: "#767B81", mapFree: "#E3E6E9", band: "#F3F4F5",
    hBg: "#C9E9DD", hLine: "#00664A", halo: "#FFFFFF", fBg: "#FBE3B5", fLine: "#9A6400", nonres: "#1B1D1F", chip: "#F3F4F5" },
  dark: { ...BASE, bg: "#111315", panel: "#1A1D20", line: "#33383D", ink: "#ECEEF0", ink2: "#C2C7CC", ink3: "#8F959B",
    top: "#000000", topInk: "#FFFFFF", blk: "#23272B", blkLine: "#8F959B", mapFree: "#3A3F45", band: "#202326",
    hBg: "#0F4A3A", hLine: "#5FD3B0", halo: "#111315", fBg: "#4A3610", fLine: "#F5C65A", nonres: "#000000", chip: "#2A2E33" },
  projector: { ...BASE, fs: 15, fsS: 15, fsK: 25, fsT: 18, bh: 30, bfs: 15, gap: 6, sw: 2, pad: 14, barH: 56, hatch: 9, bar: 4,
    minCell: 12, maxCell: 40, maxRows: 10, mapH: 24,
    bg: "#FFFFFF", panel: "#FFFFFF", line: "#1B1D1F", ink: "#000000", ink2: "#1B1D1F", ink3: "#333333",
    top: "#000000", topInk: "#FFFFFF", blk: "#FFFFFF", blkLine: "#333333", mapFree: "#E3E6E9", band: "#F3F4F5",
    hBg: "#C9E9DD", hLine: "#00664A", halo: "#FFFFFF", fBg: "#FBE3B5", fLine: "#7A4F00", nonres: "#000000", chip: "#F3F4F5" },
};

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** XML-escape, dropping characters XML 1.0 forbids (controls, lone surrogates). */
export function esc(s) {
  return String(s ?? "")
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    .replace(/[&<>"']/g, (c) => ESC[c]);
}
const num = (n) => (n === null || n === undefined ? "—" : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","));
const ms1 = (t) => {
  if (t === null || t === undefined) return "—";
  const v = Math.round(t * 10);
  return (v < 0 ? "-" : "") + num(Math.floor(Math.abs(v) / 10)) + "." + (Math.abs(v) % 10);
};
const r = (x) => Math.round(x * 100) / 100;
/** Estimated advance of a string; no DOM, so a conservative per-character width. */
// Calibrated on DejaVu Sans (the wide fallback when Inter is missing), so text rarely overflows.
function tw(s, fs, mono, bold) {
  if (mono) return [...String(s)].length * fs * 0.61;
  let w = 0;
  for (const ch of String(s)) w += /[A-Z0-9]/.test(ch) ? 0.69 : /[ il.,·:;|'!()[\]]/.test(ch) ? 0.32 : /[mwMW…]/.test(ch) ? 0.86 : 0.57;
  return w * fs * (bold ? 1.1 : 1);
}
const plural = (n, w) => `${num(n)} ${w}${n === 1 ? "" : "s"}`;

/**
 * Draw one zone of a hinting-state/1 document as a standalone SVG document.
 *
 * Why: slides, handouts and bug reports need a still picture that looks like
 * the dashboard but needs no browser state; deterministic so exported files
 * diff cleanly and tests can compare strings.
 *
 * @param {object} state  a hinting-state/1 document (as `python -m core replay` prints under "state")
 * @param {object} [options]
 * @param {string} [options.zone]   zone name (default: the zone being cycled, else the first)
 * @param {number} [options.width]  pixels (default 1280; at least 480)
 * @param {"light"|"dark"|"projector"} [options.theme]
 * @param {string} [options.title]  shown in the top bar
 * @param {string} [options.idPrefix] prefix for pattern ids (default "hl"), for inlining several SVGs in one page
 * @returns {string} an SVG document with xmlns, starting with `<svg`
 */
export function renderStateSvg(state, options = {}) {
  if (!state || !Array.isArray(state.zones) || !state.config) throw new Error("renderStateSvg: not a hinting-state/1 document");
  const T = THEMES[options.theme ?? "light"];
  if (!T) throw new Error(`renderStateSvg: unknown theme ${options.theme}`);
  const proj = options.theme === "projector";
  const hinting = state.hinting ?? {};
  const zname = options.zone ?? hinting.work?.zone ?? state.zones[0]?.name;
  const zone = state.zones.find((z) => z.name === zname);
  if (!zone) throw new Error(`renderStateSvg: no zone named ${zname}`);
  const W = Math.max(480, Math.round(options.width ?? 1280));
  const id = String(options.idPrefix ?? "hl").replace(/[^A-Za-z0-9_-]/g, "") || "hl";
  const ctx = { T, proj, id, state, zone, W, out: [], hinting };
  prepare(ctx);
  let y = topBar(ctx, options.title);
  y = header(ctx, y + T.pad);
  y = grid(ctx, y + T.pad * 0.75);
  y = batchLane(ctx, y + T.pad * 0.75);
  y = memMap(ctx, y + T.pad * 0.75);
  const H = Math.ceil(y + T.pad);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"` +
    ` font-family="${SANS}" data-zone="${esc(zone.name)}" data-theme="${proj ? "projector" : esc(options.theme ?? "light")}">` +
    `<title>${esc(`Hinting Lab · zone ${zone.name} · t ${ms1(state.now_ms ?? 0)} ms${options.title ? " · " + options.title : ""}`)}</title>` +
    defs(ctx) + `<rect width="${W}" height="${H}" fill="${T.bg}"/>` + ctx.out.join("") + "</svg>";
}

// ---------------------------------------------------------------- model

/** Derived facts every section needs: lists, Hinted set, boundaries, batch, anomalies. */
function prepare(ctx) {
  const { state, zone, hinting } = ctx;
  const cfg = state.config;
  ctx.maxOrder = cfg.max_order;
  ctx.minOrder = cfg.hinting?.min_order ?? cfg.pageblock_order ?? 0;
  ctx.hinted = new Set(zone.hinted ?? zone.reported ?? []);
  ctx.active = !!zone.flags?.active;
  ctx.end = zone.start_pfn + zone.pages;
  ctx.lists = new Map();
  let freePages = 0;
  let hintedPages = 0;
  for (const fa of zone.free_area ?? []) {
    for (const mt of MTS) {
      const list = fa.free_list?.[mt] ?? [];
      ctx.lists.set(`${fa.order}/${mt}`, list);
      freePages += list.length << fa.order;
      for (const p of list) if (ctx.hinted.has(p)) hintedPages += 1 << fa.order;
    }
  }
  ctx.freePages = freePages;
  ctx.hintedPages = hintedPages;
  ctx.batch = (hinting.batch ?? []).map((b, i) => ({ ...b, sg: i }));
  ctx.myBatch = ctx.batch.filter((b) => b.pfn >= zone.start_pfn && b.pfn < ctx.end);
  ctx.anoms = (state.anomalies ?? []).filter((a) => a.zone === zone.name);
  ctx.pbCount = Object.fromEntries(MTS.map((m) => [m, 0]));
  for (const m of zone.pageblocks ?? []) ctx.pbCount[m] = (ctx.pbCount[m] ?? 0) + 1;
  const digits = String(Math.max(0, ctx.end - 1)).length;
  const T = ctx.T;
  ctx.bw = Math.ceil(Math.max(T.bh * 1.5, digits * T.bfs * 0.62 + T.bfs * 1.1));
}

function boundaryOf(ctx, order, mt) {
  const b = ctx.hinting.boundary?.[String(order)]?.[mt];
  if (!b || b.zone !== ctx.zone.name) return null; // boundary[][] is global: drawn in the zone it points into
  return b;
}

// ---------------------------------------------------------------- drawing helpers

function text(ctx, x, y, s, o = {}) {
  const T = ctx.T;
  const a = [`x="${r(x)}" y="${r(y)}"`, `font-size="${o.fs ?? T.fs}"`, `fill="${o.fill ?? T.ink}"`];
  if (o.mono) a.push(`font-family="${MONO}"`);
  if (o.bold) a.push(`font-weight="${o.bold === true ? 700 : o.bold}"`);
  if (o.italic) a.push(`font-style="italic"`);
  if (o.anchor) a.push(`text-anchor="${o.anchor}"`);
  if (o.ls) a.push(`letter-spacing="${o.ls}"`);
  if (o.halo) a.push(`stroke="${o.halo}" stroke-width="${o.haloW ?? 3}" stroke-linejoin="round" paint-order="stroke"`);
  if (o.attrs) a.push(o.attrs);
  return `<text ${a.join(" ")}>${esc(s)}</text>`;
}

function rect(x, y, w, h, fill, stroke, sw, extra = "") {
  return `<rect x="${r(x)}" y="${r(y)}" width="${r(Math.max(0, w))}" height="${r(Math.max(0, h))}" fill="${fill}"` +
    (stroke ? ` stroke="${stroke}" stroke-width="${sw ?? 1}"` : "") + (extra ? " " + extra : "") + "/>";
}

function panel(ctx, y, h) {
  const T = ctx.T;
  ctx.out.push(rect(T.pad, y, ctx.W - 2 * T.pad, h, T.panel, T.line, ctx.proj ? 2 : 1, `rx="${ctx.proj ? 3 : 4}"`));
}

/** Swatch for a migratetype: a filled square (Isolate: black with white hatch). */
function mtSwatch(ctx, x, y, s, mt) {
  const fill = mt === "Isolate" ? `url(#${ctx.id}-iso)` : MT_COL[mt];
  return rect(x, y, s, s, fill, ctx.T.ink, ctx.proj ? 1.5 : 1);
}

function defs(ctx) {
  const { T, id } = ctx;
  const h = T.hatch;
  const pat = (name, size, body, rot = 45) =>
    `<pattern id="${id}-${name}" patternUnits="userSpaceOnUse" width="${size}" height="${size}" patternTransform="rotate(${rot})">${body}</pattern>`;
  return "<defs>" +
    pat("h", h, `<rect width="${h}" height="${h}" fill="${T.hBg}"/><rect width="${r(h * 0.42)}" height="${h}" fill="${GREEN}"/>`) +
    pat("iso", 4, `<rect width="4" height="4" fill="#000000"/><rect width="1.6" height="4" fill="#FFFFFF"/>`) +
    pat("nr", ctx.proj ? 7 : 5, `<rect width="${ctx.proj ? 2.2 : 1.5}" height="${ctx.proj ? 7 : 5}" fill="${T.nonres}" fill-opacity="0.85"/>`, -45) +
    pat("gut", 6, `<rect width="6" height="6" fill="${T.band}"/><rect width="1.2" height="6" fill="${T.line}"/>`) +
    `<pattern id="${id}-dot" patternUnits="userSpaceOnUse" width="${ctx.proj ? 7 : 5}" height="${ctx.proj ? 7 : 5}">` +
    `<rect width="8" height="8" fill="${T.fBg}"/><circle cx="${ctx.proj ? 2 : 1.5}" cy="${ctx.proj ? 2 : 1.5}" r="${ctx.proj ? 1.3 : 0.9}" fill="${ORANGE}"/></pattern>` +
    "</defs>";
}

// ---------------------------------------------------------------- top bar and header

function topBar(ctx, title) {
  const { T, W, proj, zone, state } = ctx;
  const H = T.barH;
  const o = ctx.out;
  o.push(rect(0, 0, W, H, T.top));
  if (T.top === T.panel) o.push(`<path d="M0 ${H - 0.5}H${W}" stroke="${T.line}"/>`);
  const mid = H / 2 + T.fsT * 0.36;
  o.push(text(ctx, T.pad, mid, "Hinting Lab", { fs: T.fsT + 2, bold: true, fill: T.topInk }));
  const tx = T.pad + tw("Hinting Lab", T.fsT + 2, false, true) + 14;
  // Right: zone name, then t <time> ms.
  const t = ms1(state.now_ms ?? 0);
  const kfs = proj ? T.fsK : T.fsK;
  let x = W - T.pad;
  o.push(text(ctx, x, mid, "ms", { fs: T.fs, fill: T.topInk, anchor: "end" }));
  x -= tw("ms", T.fs) + 6;
  o.push(text(ctx, x, mid, t, { fs: kfs, mono: true, bold: true, fill: T.topInk, anchor: "end", attrs: 'data-role="time"' }));
  x -= tw(t, kfs, true) + 4;
  o.push(text(ctx, x, mid, "t", { fs: T.fs, fill: T.topInk, anchor: "end", italic: true }));
  x -= tw("t", T.fs) + 18;
  o.push(text(ctx, x, mid, zone.name, { fs: T.fsT, bold: true, fill: T.topInk, anchor: "end" }));
  x -= tw(zone.name, T.fsT, false, true) + 18;
  if (title) {
    o.push(`<path d="M${r(tx - 7)} ${r(H * 0.28)}V${r(H * 0.72)}" stroke="${T.topInk}" stroke-opacity="0.6"/>`);
    const room = x - tx;
    let s = String(title);
    while (s.length > 1 && tw(s, T.fs + 1) > room) s = s.slice(0, -2) + "…";
    o.push(text(ctx, tx, mid, s, { fs: T.fs + 1, fill: T.topInk, attrs: 'data-role="title"' }));
  }
  return H;
}

const PHASE_WORDS = { idle: "idle", react: "stopped before react", drain: "stopped before drain", report: "stopped before report" };

/** Header items flow left to right and wrap when the picture is narrow. */
function header(ctx, y0) {
  const { T, zone, hinting, state, proj } = ctx;
  const work = hinting.work ?? {};
  const items = [];
  const lab = (s) => ({ s, fs: T.fsS, bold: 700, fill: T.ink2, ls: 0.6 });
  const labH = T.fsS + 4;
  const kH = T.fsK;
  // name
  const range = `pfn ${zone.start_pfn}–${ctx.end - 1}`;
  items.push({ w: Math.max(tw(zone.name, T.fsK + 3, false, true), tw(range, T.fsS, true)), draw: (x, y) => [
    text(ctx, x, y + kH + 2, zone.name, { fs: T.fsK + 3, bold: true }),
    text(ctx, x, y + kH + labH + 8, range, { fs: T.fsS, mono: true, fill: T.ink3 })] });
  // lamps: lit = orange with a dark ring, unlit = hollow grey (shape and colour)
  {
    const rr = T.fsK * 0.5;
    const lamps = [["requested", "REQUESTED"], ["active", "ACTIVE"]].map(([key, label]) => ({ key, label, lit: !!zone.flags?.[key],
      w: rr * 2 + 8 + tw(label, T.fs + 2, false, true) }));
    items.push({ w: lamps[0].w + lamps[1].w + 18, draw: (x, y) => {
      const cy = y + (kH + labH + 8) / 2;
      const out = [];
      for (const l of lamps) {
        out.push(`<g data-lamp="${l.key}" data-lit="${l.lit}">`,
          `<circle cx="${r(x + rr)}" cy="${r(cy)}" r="${r(rr)}" fill="${l.lit ? ORANGE : "none"}" stroke="${l.lit ? T.ink : T.ink3}" stroke-width="${l.lit ? 2.5 : 2}"/>`,
          text(ctx, x + rr * 2 + 8, cy + (T.fs + 2) * 0.36, l.label, { fs: T.fs + 2, bold: true, fill: l.lit ? T.ink : T.ink3, ls: 0.5 }), "</g>");
        x += l.w + 18;
      }
      return out;
    } });
  }
  const kv = (label, value, o = {}) => {
    const vfs = o.vfs ?? T.fsK;
    const w = Math.max(tw(label, T.fsS, false, true) + label.length * 0.6, tw(value, vfs, o.mono !== false, true) + (o.extraW ?? 0));
    items.push({ w, draw: (x, y) => [text(ctx, x, y + T.fsS, label, lab(label)),
      text(ctx, x, y + labH + vfs, value, { fs: vfs, mono: o.mono !== false, bold: true, fill: o.fill, attrs: o.attrs }),
      ...(o.after ? o.after(x, y + labH + vfs) : [])] });
  };
  if (hinting.refcnt !== undefined && hinting.refcnt !== null) kv("REFCNT", num(hinting.refcnt), { attrs: 'data-role="refcnt"' });
  const phase = work.phase ?? "idle";
  let words = PHASE_WORDS[phase] ?? phase;
  if (phase !== "idle" && work.zone) words += `, zone ${work.zone}`;
  else if (work.pending) words = "pending";
  if (!hinting.enabled) words += " · hinting off";
  kv("WORK", words, { mono: false, vfs: T.fs + (proj ? 5 : 3), attrs: 'data-role="work"' });
  // phase strip: fill | react › drain, a bar where the work stopped
  {
    const steps = ["fill", "react", "drain"];
    const cw = steps.map((s) => tw(s, T.fsS, true) + 12);
    const w = cw.reduce((a, b) => a + b, 0) + 2 * 14;
    items.push({ w, draw: (x, y) => {
      const out = [`<g data-role="phase" data-phase="${esc(phase)}">`];
      const cy = y + labH + 2;
      const ch = T.fsS + 10;
      let cx = x;
      steps.forEach((s, i) => {
        const cur = phase === s;
        if (i > 0) {
          const stopHere = phase === s;
          out.push(stopHere ? rect(cx + 4, cy - 5, T.bar, ch + 10, T.ink)
            : text(ctx, cx + 7, cy + ch * 0.7, "›", { fs: T.fs, fill: T.ink3, anchor: "middle" }));
          cx += 14;
        }
        out.push(rect(cx, cy, cw[i], ch, cur ? T.panel : T.chip, cur ? T.ink : T.line, cur ? 2 : 1, 'rx="3"'),
          text(ctx, cx + cw[i] / 2, cy + ch * 0.5 + T.fsS * 0.36, s, { fs: T.fsS, mono: true, bold: cur ? 700 : 400, fill: cur ? T.ink : T.ink3, anchor: "middle" }));
        cx += cw[i];
      });
      out.push("</g>");
      return out;
    } });
  }
  // due
  {
    const now = state.now_ms ?? 0;
    let value = "—";
    let sub = "";
    let frac = null;
    if (work.pending && work.due_ms !== null && work.due_ms !== undefined && phase === "idle") {
      value = `in ${ms1(Math.max(0, work.due_ms - now)).replace(/\.0$/, "")} ms`;
      sub = `@ ${ms1(work.due_ms)}`;
      const d = state.config.hinting?.delay_ms;
      if (d) frac = Math.min(1, Math.max(0, 1 - (work.due_ms - now) / d));
    } else if (phase !== "idle") {
      value = "— running";
      if (work.pending && work.due_ms !== null && work.due_ms !== undefined) sub = `next @ ${ms1(work.due_ms)}`;
    }
    kv("DUE", value, { vfs: proj ? T.fsK - 4 : T.fs + 3, extraW: sub ? tw(sub, T.fsS, true) + 6 : 0, attrs: 'data-role="due"',
      after: (x, by) => {
        const o = [];
        const vw = tw(value, proj ? T.fsK - 4 : T.fs + 3, true, true);
        if (sub) o.push(text(ctx, x + vw + 6, by, sub, { fs: T.fsS, mono: true, fill: T.ink3 }));
        if (frac !== null) {
          const bw = Math.max(vw, 80);
          o.push(rect(x, by + 5, bw, 6, T.panel, T.ink, 1.2, 'rx="3"'), rect(x, by + 5, bw * frac, 6, T.ink, null, 0, 'rx="3"'));
        }
        return o;
      } });
  }
  const hasHintCount = !!(zone.hinted || zone.reported);
  kv(hasHintCount ? "FREE · HINTED" : "FREE", hasHintCount ? `${num(ctx.freePages)} · ${num(ctx.hintedPages)} pg` : `${num(ctx.freePages)} pg`,
    { vfs: proj ? T.fsK - 2 : T.fs + 4, attrs: 'data-role="free"' });
  const hc = state.config.hinting ?? {};
  const parts = [["HWM", hc.hwm], ["MIN_ORDER", hc.min_order], ["CAPACITY", hc.capacity]].filter((p) => p[1] !== undefined && p[1] !== null);
  if (parts.length) kv(parts.map((p) => p[0]).join(" · "), parts.map((p) => num(p[1])).join(" · "), { vfs: proj ? T.fsK - 2 : T.fs + 4 });
  if (ctx.anoms.length) {
    const s = `▲ ${plural(ctx.anoms.length, "anomaly").replace(/anomalys$/, "anomalies")}`;
    const w = tw(s, T.fs + 1, false, true) + 20;
    items.push({ w, draw: (x, y) => [`<g data-role="anomalies" data-count="${ctx.anoms.length}">`,
      rect(x, y + labH - 4, w, T.fs + 14, ctx.T.panel === "#FFFFFF" ? "#FBE9DF" : ctx.T.panel, VERM, 1.5, 'rx="4"'),
      text(ctx, x + 10, y + labH - 4 + (T.fs + 14) / 2 + (T.fs + 1) * 0.36, s, { fs: T.fs + 1, bold: true, fill: VERM }), "</g>"] });
  }
  // flow
  const inner = ctx.W - 4 * T.pad;
  const gapX = proj ? 28 : 24;
  const rowH = labH + kH + T.fsS + 12;
  const rows = [[]];
  let x = 0;
  for (const it of items) {
    if (x > 0 && x + it.w > inner) { rows.push([]); x = 0; }
    rows.at(-1).push([x, it]);
    x += it.w + gapX;
  }
  const h = rows.length * rowH + T.pad * 0.5 * (rows.length - 1) + T.pad * 1.4;
  panel(ctx, y0, h);
  ctx.out.push('<g data-role="header">');
  rows.forEach((row, i) => {
    const y = y0 + T.pad * 0.7 + i * (rowH + T.pad * 0.5);
    for (const [ix, it] of row) ctx.out.push(...it.draw(2 * T.pad + ix, y));
  });
  ctx.out.push("</g>");
  return y0 + h;
}

// ---------------------------------------------------------------- the free-area grid

/** Which entries of a long list stay visible: head, tail, the boundary's neighbours, then greedily outwards. */
export function elide(n, budget, elidedCost = 2, boundary = -1) {
  budget = Math.max(3, Math.floor(budget));
  const all = [];
  if (n <= budget) { for (let i = 0; i < n; i++) all.push({ index: i }); return all; }
  const keep = new Set();
  const add = (i) => { if (i >= 0 && i < n) keep.add(i); };
  add(0); add(n - 1);
  if (boundary >= 0) { add(boundary); add(boundary - 1); }
  const cost = () => {
    let w = 0; let prev = -1;
    for (const i of [...keep].sort((a, b) => a - b)) { const g = i - prev - 1; w += 1 + (g === 1 ? 1 : g > 1 ? elidedCost : 0); prev = i; }
    const g = n - 1 - prev;
    return w + (g === 1 ? 1 : g > 1 ? elidedCost : 0);
  };
  outer: for (let k = 1; k < n; k++) {
    const cands = [k, n - 1 - k];
    if (boundary >= 0) cands.push(boundary + k, boundary - 1 - k);
    for (const c of cands) {
      if (c < 0 || c >= n || keep.has(c)) continue;
      keep.add(c);
      if (cost() > budget) { keep.delete(c); break outer; }
    }
  }
  const idx = [...keep].sort((a, b) => a - b);
  let prev = -1;
  const gapSeg = (from, to) => {
    if (to - from === 1) all.push({ index: from });
    else if (to > from) all.push({ start: from, count: to - from });
  };
  for (const i of idx) { gapSeg(prev + 1, i); all.push({ index: i }); prev = i; }
  gapSeg(prev + 1, n);
  return all;
}

function grid(ctx, y0) {
  const { T, proj, zone } = ctx;
  const o = ctx.out;
  const x0 = T.pad;
  const W = ctx.W - 2 * T.pad;
  const ip = T.pad * 0.75;
  const gutW = Math.max(proj ? 130 : 104, tw("nr_free · Hinted", T.fsS) + 10);
  const cpad = 6;
  const mw = T.bar + 2 * T.gap + 2; // room for a boundary marker
  const bstep = ctx.bw + T.gap;
  const eText = (n, narrow) => (narrow ? `…${num(n)}…` : `… ${num(n)} more …`);
  const ew = (n, narrow) => tw(eText(n, narrow), T.fsS) + 12;
  // Columns: all migratetypes, or (projector) those with pageblocks or free blocks.
  const longest = {};
  const cols = [];
  let hidden = 0;
  for (const mt of MTS) {
    let l = 0;
    let b = false;
    for (let ord = 0; ord < ctx.maxOrder; ord++) {
      l = Math.max(l, ctx.lists.get(`${ord}/${mt}`)?.length ?? 0);
      if (boundaryOf(ctx, ord, mt)) b = true;
    }
    longest[mt] = l;
    if (proj && l === 0 && !ctx.pbCount[mt]) { hidden++; continue; }
    cols.push({ mt, hasB: b });
  }
  const avail = W - 2 * ip - gutW;
  for (const c of cols) {
    const head = Math.max(tw(c.mt, T.fs, false, true) + T.fs + 10, tw(plural(ctx.pbCount[c.mt], "pageblock"), T.fsS) + 10);
    const n = longest[c.mt];
    c.full = Math.max(head, 2 * cpad + n * bstep + mw + (proj ? 8 : 4));
    const anchors = Math.min(n, 4) * bstep + (n > 4 ? 2 * (ew(n, false) + T.gap) : 0);
    c.min = Math.max(head, Math.min(c.full, 2 * cpad + anchors + mw));
    c.weight = c.mt === "Movable" ? 5 : n ? 1.5 : 0.4;
  }
  const sum = (k) => cols.reduce((a, c) => a + c[k], 0);
  if (sum("full") <= avail) {
    const extra = avail - sum("full");
    const tw_ = sum("weight");
    for (const c of cols) c.w = c.full + extra * c.weight / tw_;
  } else if (sum("min") <= avail) {
    const extra = avail - sum("min");
    const d = sum("full") - sum("min");
    for (const c of cols) c.w = c.min + extra * (c.full - c.min) / d;
  } else {
    const f = avail / sum("min");
    for (const c of cols) c.w = c.min * f;
  }
  // Geometry
  const flagH = T.fsS + 5;
  const rh = flagH + T.bh + (proj ? 12 : 9);
  const titleH = T.fsT + 14;
  const colH = T.fs + T.fsS + 12;
  const rows = ctx.maxOrder;
  const legendH = T.fsS + 18;
  const h = ip + titleH + colH + rows * rh + legendH + ip * 0.5;
  panel(ctx, y0, h);
  // Title line
  const ty = y0 + ip + T.fsT;
  o.push(text(ctx, x0 + ip, ty, "free lists", { fs: T.fsT + 1, bold: true }));
  let sub = `free_area[order].free_list[migratetype] · head → tail · block = pfn`;
  if (hidden) sub += ` · ${plural(hidden, "empty migratetype")} hidden`;
  const subX = x0 + ip + tw("free lists", T.fsT + 1, false, true) + 12;
  const cfg = `MAX_ORDER ${ctx.maxOrder} · pageblock_order ${ctx.state.config.pageblock_order}`;
  const cfgW = tw(cfg, T.fsS, true);
  if (proj) sub = `head → tail${hidden ? ` · ${plural(hidden, "empty migratetype")} hidden` : ""}`;
  if (subX + tw(sub, T.fsS) + cfgW + 30 < x0 + W) o.push(text(ctx, x0 + W - ip, ty, cfg, { fs: T.fsS, mono: true, fill: T.ink3, anchor: "end" }));
  o.push(text(ctx, subX, ty, sub, { fs: T.fs, fill: T.ink2 }));
  // Column heads
  const gx = x0 + ip;
  const cy = ty + 10;
  o.push(text(ctx, gx, cy + T.fs, "order", { fs: T.fs, bold: 600 }), text(ctx, gx, cy + T.fs + T.fsS + 3, "nr_free · Hinted", { fs: T.fsS, fill: T.ink3 }));
  let cx = gx + gutW;
  for (const c of cols) {
    c.x = cx;
    const sw = T.fs * 0.85;
    o.push(`<g data-role="colhead" data-mt="${c.mt}">`, mtSwatch(ctx, cx + cpad, cy + T.fs - sw + 1, sw, c.mt),
      text(ctx, cx + cpad + sw + 5, cy + T.fs, c.mt, { fs: T.fs, bold: 600 }),
      text(ctx, cx + cpad + sw + 5, cy + T.fs + T.fsS + 3, plural(ctx.pbCount[c.mt], "pageblock"), { fs: T.fsS, fill: T.ink3 }), "</g>");
    o.push(`<clipPath id="${ctx.id}-c${c.mt}"><rect x="${r(cx)}" y="${r(y0)}" width="${r(c.w)}" height="${r(h)}"/></clipPath>`);
    cx += c.w;
  }
  const gy = cy + colH;
  const gridR = cx;
  // Rows
  let anyDim = false;
  let anyB = false;
  for (let i = 0; i < rows; i++) {
    const ord = ctx.maxOrder - 1 - i;
    const ry = gy + i * rh;
    const below = ord < ctx.minOrder;
    o.push(`<g data-role="row" data-order="${ord}"${below ? ' data-below="true"' : ""}>`);
    if (below) o.push(rect(gx + gutW, ry, gridR - gx - gutW, rh, T.band), rect(gx - 4, ry, gutW - 4, rh, `url(#${ctx.id}-gut)`));
    o.push(`<path d="M${r(gx - 4)} ${r(ry + rh)}H${r(gridR)}" stroke="${T.line}" stroke-width="${proj ? 1.5 : 1}"/>`);
    // gutter
    const l1 = ry + rh * 0.42;
    const l2 = ry + rh * 0.84;
    o.push(text(ctx, gx, l1, `o${ord}`, { fs: T.fs + 3, mono: true, bold: true }),
      text(ctx, gx + tw(`o${ord}`, T.fs + 3, true) + 8, l1, `${num(2 ** ord)} pg`, { fs: T.fsS, fill: T.ink3 }));
    const nf = ctx.zone.free_area?.[ord]?.nr_free ?? 0;
    o.push(text(ctx, gx, l2, num(nf), { fs: T.fs, mono: true, attrs: `data-role="nr_free"` }));
    const nfx = gx + tw(num(nf), T.fs, true) + 8;
    if (below) o.push(text(ctx, nfx, l2, "not hinted", { fs: T.fsS, italic: true, fill: T.ink3 }));
    else {
      const hp = zone.hinted_pages ? zone.hinted_pages[ord - ctx.minOrder] : null;
      const s = T.fsS;
      o.push(rect(nfx, l2 - s + 1, s, s, `url(#${ctx.id}-h)`, ctx.T.hLine, 1),
        text(ctx, nfx + s + 4, l2, hp === null || hp === undefined ? "–" : num(hp), { fs: T.fs, mono: true, bold: true, fill: ctx.T === THEMES.dark ? "#5FD3B0" : "#00664A", attrs: 'data-role="hinted_pages"' }));
    }
    for (const c of cols) {
      if (c.x > gx + gutW) o.push(`<path d="M${r(c.x)} ${r(ry)}V${r(ry + rh)}" stroke="${T.line}"/>`);
      const res = cell(ctx, c, ord, c.x, ry, c.w, { cpad, mw, flagH, rh, ew, eText });
      anyDim ||= res.dim;
      anyB ||= res.b;
    }
    o.push("</g>");
  }
  // min_order divider
  if (ctx.minOrder > 0 && ctx.minOrder < ctx.maxOrder) {
    const dy = gy + (ctx.maxOrder - ctx.minOrder) * rh;
    const s = `min_order ${ctx.minOrder}`;
    const lw = tw(s, T.fsS, true) + 10;
    o.push(`<g data-role="min-order">`, `<path d="M${r(gx - 4)} ${r(dy)}H${r(gridR)}" stroke="${T.ink}" stroke-width="${proj ? 2 : 1.3}" stroke-dasharray="6 4"/>`,
      rect(gridR - lw - 2, dy - (T.fsS + 6) / 2, lw, T.fsS + 6, T.ink2, null, 0, 'rx="3"'),
      text(ctx, gridR - lw / 2 - 2, dy + T.fsS * 0.36, s, { fs: T.fsS, mono: true, fill: T.panel, anchor: "middle" }), "</g>");
  }
  // legend
  const ly = gy + rows * rh + legendH * 0.7;
  const L = [];
  let lx = gx;
  const sw = T.fsS + 2;
  const item = (draw, label) => {
    L.push(...draw(lx, ly - sw + 2));
    L.push(text(ctx, lx + sw * 1.6 + 6, ly, label, { fs: T.fsS, fill: T.ink2 }));
    lx += sw * 1.6 + 6 + tw(label, T.fsS) + 18;
  };
  item((x, y) => [rect(x, y, sw * 1.6, sw, T.blk, T.blkLine, 1, 'rx="2"')], "free block");
  item((x, y) => [rect(x, y, sw * 1.6, sw, `url(#${ctx.id}-h)`, T.hLine, 1.5, 'rx="2"')], "free, Hinted");
  {
    item((x, y) => [rect(x + sw * 0.8, y - 3, T.bar, sw + 6, T.ink)], "boundary → block on its right");
    item((x, y) => [hook(ctx, x + sw * 0.8, y - 3, sw + 6, T.ink, false)], "boundary → list head");
  }
  if (anyDim) item((x, y) => [rect(x + sw * 0.8, y - 3, T.bar, sw + 6, T.ink3, null, 0, `fill-opacity="0.7"`)], "dimmed: ACTIVE is off");
  if (ctx.anoms.length) item((x, y) => [rect(x, y, sw * 1.6, sw, "none", VERM, 1.5, 'stroke-dasharray="3 2"'), text(ctx, x + sw * 0.8, y + sw - 2, "▲", { fs: sw - 3, fill: VERM, anchor: "middle" })], "anomaly");
  if (lx < x0 + W) o.push('<g data-role="legend">', ...L, "</g>");
  else o.push('<g data-role="legend">', ...L.slice(0, 8), "</g>");
  return y0 + h;
}

/** A boundary bar with a hook at the top pointing back into the row (it points at the list head). */
function hook(ctx, x, y, h, fill, dim) {
  const b = ctx.T.bar;
  const k = ctx.proj ? 9 : 7;
  return `<path d="M${r(x)} ${r(y)}h${b}v${r(h)}h${-b}zM${r(x - k)} ${r(y)}h${k}v${b}h${-k}z" fill="${fill}"${dim ? ' fill-opacity="0.7"' : ""}/>`;
}

/** One free list, head to tail, with its boundary marker; returns what the legend needs. */
function cell(ctx, c, ord, x, y, w, g) {
  const { T } = ctx;
  const o = ctx.out;
  const mt = c.mt;
  const list = ctx.lists.get(`${ord}/${mt}`) ?? [];
  const n = list.length;
  const bnd = boundaryOf(ctx, ord, mt);
  let bIndex = -1;
  let stale = false;
  if (bnd) {
    if (bnd.pfn === null || bnd.pfn === undefined) bIndex = n;
    else { bIndex = list.indexOf(bnd.pfn); if (bIndex < 0) stale = true; }
  }
  const anoms = ctx.anoms.filter((a) => a.order === ord && a.migratetype === mt);
  const anomPfns = new Set(anoms.map((a) => a.pfn));
  const bstep = ctx.bw + T.gap;
  const room = w - 2 * g.cpad - (bnd ? g.mw : 0) - (stale ? tw(`stale → ${bnd.pfn}`, T.fsS) : 0);
  const narrow = room / bstep < 6;
  const ec = (g.ew(n, narrow) + T.gap) / bstep;
  const segs = elide(n, Math.floor((room + T.gap) / bstep), ec, bIndex >= 0 && bIndex < n ? bIndex : bIndex === n ? n : -1);
  const by = y + g.flagH + 2;
  const dim = !ctx.active;
  const ink = dim ? T.ink3 : T.ink;
  const marker = (mx, kind, target, idx) => {
    const top = y + g.flagH - 4;
    const hgt = T.bh + 9;
    const out = [`<g data-role="boundary" data-kind="${kind}" data-target="${target}" data-index="${idx}" data-active="${ctx.active}">`];
    if (kind === "head") {
      out.push(hook(ctx, mx, top, hgt, ink, dim), text(ctx, mx + T.bar, y + g.flagH - 6, "head", { fs: T.fsS, fill: T.ink3, anchor: "end" }));
    } else if (kind === "empty") {
      out.push(rect(mx, by + T.bh * 0.2, T.bar, T.bh * 0.6, T.ink3));
    } else {
      out.push(rect(mx, top, T.bar, hgt, ink, null, 0, dim ? 'fill-opacity="0.7"' : ""),
        text(ctx, mx, y + g.flagH - 6, kind === "stale" ? `stale → ${target}` : "boundary", { fs: T.fsS, bold: 600, fill: kind === "stale" ? VERM : T.ink2 }));
    }
    if (dim && kind !== "empty") out.push(`<path d="M${r(mx + T.bar / 2)} ${r(top)}v${hgt}" stroke="${ctx.T.panel}" stroke-width="1" stroke-dasharray="3 3"/>`);
    out.push("</g>");
    return out.join("");
  };
  o.push(`<g data-role="list" data-order="${ord}" data-mt="${mt}" data-count="${n}" clip-path="url(#${ctx.id}-c${mt})">`);
  if (anoms.length) {
    o.push(rect(x + 2, y + 2, w - 4, g.rh - 4, VERM, VERM, 1.5, 'fill-opacity="0.08" stroke-dasharray="5 3" data-role="anomaly"'),
      text(ctx, x + w - 5, y + T.fsS + 2, "▲", { fs: T.fsS, fill: VERM, anchor: "end" }));
  }
  let bx = x + g.cpad;
  for (const s of segs) {
    if (s.index !== undefined) {
      const i = s.index;
      const pfn = list[i];
      if (i === bIndex) { o.push(marker(bx + 1, "block", pfn, i)); bx += g.mw; }
      const h = ctx.hinted.has(pfn);
      o.push(`<g data-role="block" data-pfn="${pfn}" data-order="${ord}" data-mt="${mt}" data-index="${i}" data-hinted="${h}">`,
        rect(bx, by, ctx.bw, T.bh, h ? `url(#${ctx.id}-h)` : T.blk, h ? T.hLine : T.blkLine, h ? T.sw + 0.5 : T.sw, 'rx="2"'),
        text(ctx, bx + ctx.bw / 2, by + T.bh / 2 + T.bfs * 0.36, String(pfn), { fs: T.bfs, mono: true, bold: h ? 700 : 400, anchor: "middle",
          halo: h ? T.halo : null }));
      if (anomPfns.has(pfn)) o.push(rect(bx - 3, by - 3, ctx.bw + 6, T.bh + 6, "none", VERM, 2, 'rx="4" data-role="anomaly-ring"'));
      o.push("</g>");
      bx += bstep;
    } else {
      let hc = 0;
      for (let k = s.start; k < s.start + s.count; k++) if (ctx.hinted.has(list[k])) hc++;
      const ew = g.ew(n, narrow);
      o.push(`<g data-role="elided" data-start="${s.start}" data-count="${s.count}" data-hinted="${hc}">`,
        rect(bx, by, ew, T.bh, T.chip, T.line, 1, 'rx="2" stroke-dasharray="2 2"'),
        text(ctx, bx + ew / 2, by + T.bh / 2 + T.fsS * 0.36, g.eText(s.count, narrow), { fs: T.fsS, fill: T.ink2, anchor: "middle" }));
      if (hc) o.push(rect(bx + ew - 7, by + 2, 5, 5, GREEN, T.hLine, 0.8));
      o.push("</g>");
      bx += ew + T.gap;
    }
  }
  if (n === 0 && !stale) {
    if (bnd) { o.push(marker(bx + 1, "empty", "head", 0)); bx += g.mw; }
    o.push(text(ctx, bx + 4, by + T.bh / 2 + T.fs * 0.36, "—", { fs: T.fs, fill: T.ink3 }));
  } else if (bIndex === n) {
    o.push(marker(bx + 1, "head", "head", n));
  } else if (stale) {
    if (n === 0) { o.push(text(ctx, bx + 4, by + T.bh / 2 + T.fs * 0.36, "—", { fs: T.fs, fill: T.ink3 })); bx += T.fs + 8; }
    o.push(marker(bx + 1, "stale", bnd.pfn, -1));
  }
  o.push("</g>");
  return { dim: dim && !!bnd, b: !!bnd };
}

// ---------------------------------------------------------------- batch lane

function batchLane(ctx, y0) {
  const { T, proj, hinting } = ctx;
  if (!ctx.batch.length) return y0 - T.pad * 0.75;
  const o = ctx.out;
  const x0 = T.pad;
  const W = ctx.W - 2 * T.pad;
  const ip = T.pad * 0.75;
  const phase = hinting.work?.phase ?? "idle";
  const cap = ctx.state.config.hinting?.capacity;
  const mine = ctx.myBatch;
  const pages = mine.reduce((a, b) => a + (1 << b.order), 0);
  const titleH = T.fsT + 12;
  const label = (b) => `${b.pfn} · o${b.order} · ${MT_ABBR[b.migratetype] ?? "?"}`;
  const boxH = T.bh + 6;
  const sgH = T.fsS + 4;
  const hostW = Math.max(tw("host · react", T.fs, false, true), tw("not yet called", T.fsS)) + 24;
  const noteW = proj ? 0 : Math.min(300, W * 0.28);
  const laneW = W - 2 * ip - hostW - 50 - noteW;
  // Flow the boxes; at most 3 rows, the rest elided.
  const placed = [];
  let bx = 0;
  let row = 0;
  let more = 0;
  for (let i = 0; i < mine.length; i++) {
    const w = tw(label(mine[i]), T.fs, true) + T.fs * 0.7 + 26;
    if (bx > 0 && bx + w > laneW) { row++; bx = 0; }
    if (row >= 3) { more = mine.length - i; break; }
    placed.push({ b: mine[i], x: bx, row, w });
    bx += w + 10;
  }
  const rows = Math.max(1, row + (row >= 3 ? 0 : 1));
  const rowsH = Math.min(rows, 3) * (sgH + boxH + 8);
  const h = ip + titleH + rowsH + (more ? T.fsS + 8 : 0) + ip * 0.5;
  panel(ctx, y0, h);
  const ty = y0 + ip + T.fsT;
  o.push(`<g data-role="batch" data-count="${mine.length}" data-phase="${esc(phase)}">`);
  o.push(text(ctx, x0 + ip, ty, "batch", { fs: T.fsT + 1, bold: true }));
  const sub = mine.length
    ? `page_hinting_fill → scatterlist, in flight to the host · ${mine.length}${cap ? ` / ${cap}` : ""} blocks · ${num(pages)} pages`
    : `in flight: ${plural(ctx.batch.length, "block")} of zone ${hinting.work?.zone ?? "?"}, none of this zone`;
  o.push(text(ctx, x0 + ip + tw("batch", T.fsT + 1, false, true) + 12, ty, sub, { fs: T.fs, fill: T.ink2 }));
  const ly = ty + 12;
  for (const p of placed) {
    const x = x0 + ip + p.x;
    const y = ly + p.row * (sgH + boxH + 8);
    const sw = T.fs * 0.7;
    o.push(`<g data-role="inflight" data-pfn="${p.b.pfn}" data-sg="${p.b.sg}" data-order="${p.b.order}">`,
      text(ctx, x, y + T.fsS, `sg[${p.b.sg}]`, { fs: T.fsS, mono: true, fill: T.ink3 }),
      rect(x, y + sgH, p.w, boxH, `url(#${ctx.id}-dot)`, T.fLine, proj ? 2 : 1.5, 'rx="3" stroke-dasharray="4 3"'),
      text(ctx, x + 7, y + sgH + boxH / 2 + T.fs * 0.36, label(p.b), { fs: T.fs, mono: true, bold: 600, halo: T.fBg, haloW: 3 }),
      mtSwatch(ctx, x + p.w - sw - 6, y + sgH + (boxH - sw) / 2, sw, p.b.migratetype), "</g>");
  }
  if (more) o.push(text(ctx, x0 + ip, ly + 3 * (sgH + boxH + 8) + T.fsS, `… ${num(more)} more in flight …`, { fs: T.fsS, fill: T.ink2, attrs: `data-role="inflight-more" data-count="${more}"` }));
  // arrow → host
  const used = placed.length ? Math.max(...placed.filter((p) => p.row === 0).map((p) => p.x + p.w)) : 0;
  const ax = x0 + ip + Math.max(used, 0) + 12;
  const ay = ly + sgH + boxH / 2;
  const hx = ax + 40;
  const reacted = phase === "drain";
  o.push(`<path d="M${r(ax)} ${r(ay)}H${r(hx - 6)}" stroke="${T.ink2}" stroke-width="1.5" stroke-dasharray="2 3"/>`,
    `<path d="M${r(hx - 7)} ${r(ay - 4)}l6 4l-6 4z" fill="${T.ink2}"/>`,
    rect(hx, ay - boxH * 0.75, hostW, boxH * 1.5, T.panel, T.ink, proj ? 2 : 1.2, 'rx="4"'),
    text(ctx, hx + hostW / 2, ay - 2, "host · react", { fs: T.fs, bold: 600, anchor: "middle" }),
    text(ctx, hx + hostW / 2, ay + T.fsS + 2, reacted ? "called: not resident" : "not yet called", { fs: T.fsS, fill: T.ink3, anchor: "middle" }));
  if (!proj && mine.length) {
    const nx = hx + hostW + 16;
    const lines = reacted
      ? ["next step: drain. The blocks go back", "to their free lists, marked Hinted,", "and the boundaries move."]
      : [`next step: react. ${num(pages)} pages (${plural(mine.length, "block")})`, "leave the host. Allocs and frees go on", "meanwhile: the zone lock is dropped."];
    if (nx + 120 < x0 + W) lines.forEach((s, i) => o.push(text(ctx, nx, ay - T.fsS + i * (T.fsS + 3), s, { fs: T.fsS, fill: T.ink2 })));
  }
  o.push("</g>");
  return y0 + h;
}

// ---------------------------------------------------------------- physical memory map

const C_FREE = 0;
const C_HINT = 1;
const C_FLY = 2;
const C_ALLOC = 3; // + migratetype index

/** Per-page codes of the zone, and a non-resident flag per page. */
function pageCodes(ctx) {
  const { zone } = ctx;
  const n = zone.pages;
  const base = zone.start_pfn;
  const code = new Uint8Array(n); // C_FREE by default
  const nonres = new Uint8Array(n);
  const fill = (pfn, order, v) => {
    const a = Math.max(0, pfn - base);
    const b = Math.min(n, pfn - base + 2 ** order);
    if (b > a) code.fill(v, a, b);
  };
  for (const a of zone.allocated ?? []) fill(a.pfn, a.order, C_ALLOC + Math.max(0, MTS.indexOf(a.migratetype)));
  for (let ord = 0; ord < ctx.maxOrder; ord++) {
    for (const mt of MTS) for (const p of ctx.lists.get(`${ord}/${mt}`) ?? []) if (ctx.hinted.has(p)) fill(p, ord, C_HINT);
  }
  for (const b of ctx.myBatch) fill(b.pfn, b.order, C_FLY);
  for (const [first, count] of zone.nonresident ?? []) {
    const a = Math.max(0, first - base);
    const b = Math.min(n, first - base + count);
    if (b > a) nonres.fill(1, a, b);
  }
  return { code, nonres };
}

function memMap(ctx, y0) {
  const { T, proj, zone } = ctx;
  const o = ctx.out;
  const x0 = T.pad;
  const W = ctx.W - 2 * T.pad;
  const ip = T.pad * 0.75;
  const pages = zone.pages;
  const pb = 2 ** ctx.state.config.pageblock_order;
  const labW = tw(String(ctx.end - 1), T.fsS, true) + 12;
  const Wm = W - 2 * ip - labW;
  const maxCols = Math.max(1, Math.floor(Wm / T.minCell));
  let ppc = 1;
  while (Math.ceil(pages / ppc) > maxCols * T.maxRows) ppc *= 2;
  const cells = Math.ceil(pages / ppc);
  const pbCells = Math.max(1, pb / ppc);
  let cols = Math.min(cells, pbCells <= maxCols ? Math.floor(maxCols / pbCells) * pbCells : maxCols);
  const nrows = Math.ceil(cells / cols);
  cols = Math.min(cols, Math.ceil(Math.ceil(cells / nrows) / pbCells) * pbCells);
  const cw = Math.min(T.maxCell, Wm / cols);
  const ch = Math.max(T.minCell, Math.min(cw, T.mapH + (proj ? 8 : 2)));
  const stripe = proj ? 6 : 4;
  const rowH = ch + stripe + (proj ? 8 : 5);
  const { code, nonres } = pageCodes(ctx);
  // aggregate per cell: the most common state (ties: in flight, Hinted, allocated, free); not resident if half or more is
  const cc = new Uint8Array(cells);
  const cn = new Uint8Array(cells);
  const cpb = new Uint8Array(cells);
  const rank = [1, 3, 4, 2, 2, 2, 2, 2];
  const pbs = zone.pageblocks ?? [];
  for (let c = 0; c < cells; c++) {
    const a = c * ppc;
    const b = Math.min(pages, a + ppc);
    if (ppc === 1) { cc[c] = code[a]; cn[c] = nonres[a]; } else {
      const cnt = new Uint32Array(8);
      let nr = 0;
      for (let p = a; p < b; p++) { cnt[code[p]]++; nr += nonres[p]; }
      let best = 0;
      for (let k = 1; k < 8; k++) if (cnt[k] > cnt[best] || (cnt[k] === cnt[best] && cnt[k] && rank[k] > rank[best])) best = k;
      cc[c] = best;
      cn[c] = nr * 2 >= b - a ? 1 : 0;
    }
    if (ppc <= pb) cpb[c] = Math.max(0, MTS.indexOf(pbs[Math.floor(a / pb)] ?? "Movable"));
    else {
      const cnt = new Uint32Array(5);
      for (let q = Math.floor(a / pb); q < Math.ceil(b / pb); q++) cnt[Math.max(0, MTS.indexOf(pbs[q]))]++;
      let best = 0;
      for (let k = 1; k < 5; k++) if (cnt[k] > cnt[best]) best = k;
      cpb[c] = best;
    }
  }
  const titleH = T.fsT + 14;
  const legendH = T.fsS + 20;
  const h = ip + titleH + nrows * rowH + legendH + ip * 0.3;
  panel(ctx, y0, h);
  const ty = y0 + ip + T.fsT;
  o.push(text(ctx, x0 + ip, ty, "physical memory", { fs: T.fsT + 1, bold: true }));
  const sub = `${num(pages)} pages · ${ppc === 1 ? "1 cell = 1 page" : `1 cell = ${num(ppc)} pages (most of them)`} · ${num(cols * ppc)} pfn a row · stripe = pageblock (${num(pb)} pages)`;
  o.push(text(ctx, x0 + ip + tw("physical memory", T.fsT + 1, false, true) + 12, ty, sub, { fs: proj ? T.fsS : T.fs, fill: T.ink2 }));
  const mx = x0 + ip + labW;
  const my = ty + 12;
  const fillOf = (k) => (k === C_FREE ? T.mapFree : k === C_HINT ? `url(#${ctx.id}-h)` : k === C_FLY ? `url(#${ctx.id}-dot)` : k - C_ALLOC === 4 ? `url(#${ctx.id}-iso)` : MT_COL[MTS[k - C_ALLOC]]);
  o.push(`<g data-role="map" data-pages-per-cell="${ppc}" data-cols="${cols}" data-rows="${nrows}">`);
  const seen = new Set();
  const pbSeen = new Set();
  for (let row = 0; row < nrows; row++) {
    const y = my + row * rowH;
    const c0 = row * cols;
    const c1 = Math.min(cells, c0 + cols);
    o.push(text(ctx, mx - 6, y + ch / 2 + T.fsS * 0.36, String(zone.start_pfn + c0 * ppc), { fs: T.fsS, mono: true, fill: T.ink3, anchor: "end" }));
    // runs of state
    for (let c = c0; c < c1;) {
      let e = c + 1;
      while (e < c1 && cc[e] === cc[c]) e++;
      seen.add(cc[c]);
      const k = cc[c];
      const border = k === C_HINT ? T.hLine : k === C_FLY ? T.fLine : null;
      o.push(rect(mx + (c - c0) * cw, y, (e - c) * cw, ch, fillOf(k), border, border ? 1 : 0, k === C_FLY ? 'stroke-dasharray="3 2"' : ""));
      c = e;
    }
    for (let c = c0; c < c1;) {
      // Hinted implies not resident: the overlay marks the other cases (a batch after react, a wasted hint)
      if (!cn[c] || cc[c] === C_HINT) { c++; continue; }
      let e = c + 1;
      while (e < c1 && cn[e] && cc[e] !== C_HINT) e++;
      seen.add("nr");
      o.push(rect(mx + (c - c0) * cw, y, (e - c) * cw, ch, `url(#${ctx.id}-nr)`, null, 0, 'data-role="nonresident"'));
      c = e;
    }
    // pageblock stripe
    for (let c = c0; c < c1;) {
      let e = c + 1;
      while (e < c1 && cpb[e] === cpb[c]) e++;
      pbSeen.add(cpb[c]);
      o.push(rect(mx + (c - c0) * cw, y + ch + 1.5, (e - c) * cw, stripe, cpb[c] === 4 ? `url(#${ctx.id}-iso)` : MT_COL[MTS[cpb[c]]]));
      c = e;
    }
    // cell and pageblock separators
    const rw = (c1 - c0) * cw;
    if (cw >= 8 && ppc < pb) o.push(separators(mx, y, rw, ch, cw, T.panel, cw >= 14 ? 1 : 0.6));
    if (pbCells > 1 && pbCells * cw >= 24) o.push(separators(mx, y, rw, ch + stripe + 1.5, pbCells * cw, T.panel, proj ? 3 : 2));
    // pfn labels at pageblock starts when there is room (big cells)
    if (ppc === 1 && pbCells * cw >= tw(String(ctx.end - 1), T.fsS, true) + 8) {
      for (let c = c0; c < c1; c += pbCells) {
        const k = cc[c];
        const dark = k === C_ALLOC + 1 || k === C_ALLOC + 4 || k === C_ALLOC;
        o.push(text(ctx, mx + (c - c0) * cw + 4, y + ch / 2 + T.fsS * 0.36, String(zone.start_pfn + c), { fs: T.fsS, mono: true, bold: 600,
          fill: dark ? "#FFFFFF" : "#1B1D1F", halo: k === C_HINT || k === C_FLY || cn[c] ? (k === C_FLY ? T.fBg : "#FFFFFF") : null }));
      }
    }
  }
  o.push("</g>");
  // legend
  const ly = my + nrows * rowH + legendH * 0.6;
  const sw = T.fsS + 1;
  let lx = x0 + ip;
  const L = ['<g data-role="map-legend">'];
  const item = (fill, label, stroke) => {
    const lw = tw(label, T.fsS) + sw + 22;
    if (lx + lw > x0 + W - ip) return;
    L.push(rect(lx, ly - sw + 2, sw, sw, fill, stroke ?? T.ink3, 1), text(ctx, lx + sw + 5, ly, label, { fs: T.fsS, fill: T.ink2 }));
    lx += lw;
  };
  for (let k = C_ALLOC; k < C_ALLOC + 5; k++) if (seen.has(k)) item(fillOf(k), `allocated ${MTS[k - C_ALLOC]}`);
  item(T.mapFree, "free");
  if (seen.has(C_HINT)) item(`url(#${ctx.id}-h)`, "free, Hinted · not resident", T.hLine);
  if (seen.has(C_FLY)) item(`url(#${ctx.id}-dot)`, "in flight", T.fLine);
  if (seen.has("nr")) item(`url(#${ctx.id}-nr)`, "not resident on host");
  if (pbSeen.has(3)) item(MT_COL.HighAtomic, "pageblock HighAtomic");
  if (pbSeen.has(4)) item(`url(#${ctx.id}-iso)`, "pageblock Isolate");
  L.push("</g>");
  o.push(...L);
  return y0 + h;
}

/** Vertical separator lines every `step` px as one path (cheap even for thousands of cells). */
function separators(x, y, w, h, step, stroke, sw) {
  let d = "";
  const n = Math.round(w / step);
  for (let i = 1; i < n; i++) d += `M${r(x + i * step)} ${r(y)}v${r(h)}`;
  return d ? `<path d="${d}" stroke="${stroke}" stroke-width="${sw}"/>` : "";
}
