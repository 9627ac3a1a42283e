// One zone of a hinting-state/1 document as a standalone SVG, for slides: zone
// header, free-area grid with boundary markers, in-flight batch, memory map.
// Pure strings (no DOM, runs in node), deterministic.  DESIGN.md encodings;
// colour is never the only channel (hatch = Hinted, dots + dashes = in flight,
// hollow lamp = off, dashed bar = boundary while ACTIVE is off, ▲ = anomaly).

const { max, min, floor, ceil, round, abs } = Math;
const MTS = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"];
const MT_COL = ["#CC79A7", "#0072B2", "#56B4E9", "#F0E442", "#000000"];
const GREEN = "#009E73";
const ORANGE = "#E69F00";
const VERM = "#D55E00";
const MONO = ` font-family="'JetBrains Mono', ui-monospace, monospace"`;
const B = ' font-weight="700"';
const SB = ' font-weight="600"';
const MID = ' text-anchor="middle"';
const END = ' text-anchor="end"';

const BASE = { fs: 12, fsS: 10.5, fsK: 18, fsT: 14, bh: 20, bfs: 11, gap: 4, sw: 1, pad: 16, barH: 44, hatch: 6, bar: 3,
  minCell: 9, comfy: 15, maxCell: 26, maxRows: 16, mapH: 14, pl: 1 };
const LIGHT = { bg: "#F3F4F5", panel: "#FFFFFF", line: "#D9DCDF", ink: "#1B1D1F", ink2: "#4A4F55", ink3: "#767B81",
  top: "#FFFFFF", topInk: "#1B1D1F", blk: "#FFFFFF", blkLine: "#767B81", mapFree: "#E3E6E9", band: "#F3F4F5",
  hBg: "#C9E9DD", hLine: "#00664A", hText: "#00664A", halo: "#FFFFFF", fBg: "#FBE3B5", fLine: "#9A6400", nonres: "#1B1D1F",
  chip: "#F3F4F5", gutHatch: "#D2D5D9", anomBg: "#FBE9DF" };
const THEMES = {
  light: { ...BASE, ...LIGHT },
  dark: { ...BASE, ...LIGHT, bg: "#111315", panel: "#1A1D20", line: "#33383D", ink: "#ECEEF0", ink2: "#C2C7CC", ink3: "#8F959B",
    top: "#000000", topInk: "#FFFFFF", blk: "#23272B", blkLine: "#8F959B", mapFree: "#3A3F45", band: "#202326",
    hBg: "#0F4A3A", hLine: "#5FD3B0", hText: "#5FD3B0", halo: "#111315", fBg: "#4A3610", fLine: "#F5C65A", nonres: "#F3F4F5",
    chip: "#2A2E33", gutHatch: "#3A3F45", anomBg: "#1A1D20" },
  // white ground, nothing lighter than #333, borders >= 2 px, text >= 15 px, hatch 1.5x (DESIGN.md)
  projector: { ...BASE, ...LIGHT, fs: 15, fsS: 15, fsK: 25, fsT: 18, bh: 30, bfs: 15, gap: 6, sw: 2, pad: 14, barH: 56, hatch: 9, bar: 4,
    minCell: 12, comfy: 30, maxCell: 40, maxRows: 10, mapH: 32, pl: 2, bg: "#FFFFFF", line: "#1B1D1F", ink: "#000000",
    ink2: "#1B1D1F", ink3: "#333333", top: "#000000", topInk: "#FFFFFF", blkLine: "#333333", fLine: "#7A4F00",
    nonres: "#000000", gutHatch: "#B9BDC2" },
};

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** XML-escape, dropping what XML 1.0 forbids (control characters, lone surrogates). */
const esc = (s) => String(s ?? "")
  // eslint-disable-next-line no-control-regex
  .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
  .replace(/[&<>"']/g, (c) => ESC[c]);
// Locale-independent formatting keeps the output deterministic.
const num = (n) => String(n ?? "—").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const ms1 = (t) => { const v = round((t ?? 0) * 10); return (v < 0 ? "-" : "") + num(floor(abs(v) / 10)) + "." + (abs(v) % 10); };
const r = (x) => round(x * 100) / 100;
/** Shorten s with "…" until its estimated width fits `room`. */
function fit(s, fs, room, mono) {
  s = String(s);
  while (s.length > 1 && tw(s, fs, mono) > room) s = s.slice(0, -2) + "…";
  return s;
}
const plural = (n, w) => `${num(n)} ${w}${n === 1 ? "" : "s"}`;
const st = (c, w = 1) => ` stroke="${c}" stroke-width="${w}"`;
/** Estimated text width (no DOM); calibrated on DejaVu Sans, the wide fallback when Inter is missing. */
function tw(s, fs, mono, bold) {
  if (mono) return [...String(s)].length * fs * 0.61;
  let w = 0;
  for (const ch of String(s)) w += /[A-Z0-9]/.test(ch) ? 0.69 : /[ il.,·:;|'!()[\]]/.test(ch) ? 0.32 : /[mwMW…]/.test(ch) ? 0.86 : 0.58;
  return w * fs * (bold ? 1.12 : 1);
}
const text = (x, y, s, fs, fill, a = "") => `<text x="${r(x)}" y="${r(y)}" font-size="${fs}" fill="${fill}"${a}>${esc(s)}</text>`;
const rect = (x, y, w, h, fill, a = "") => `<rect x="${r(x)}" y="${r(y)}" width="${r(max(0, w))}" height="${r(max(0, h))}" fill="${fill}"${a}/>`;
const halo = (c, w = 3) => (c ? ` stroke="${c}" stroke-width="${w}" stroke-linejoin="round" paint-order="stroke"` : "");

/**
 * Which entries of a long free list stay visible: head, tail and the boundary's
 * two neighbours always (they matter for hinting), then greedily outwards.
 * @param {number} n list length
 * @param {number} budget room, in block widths (>= 3)
 * @param {number} [elidedCost] width of an "… N more …" chip, in block widths
 * @param {number} [boundary] index the boundary marker stands before (n: the list head); -1 none
 * @returns {Array<{index:number}|{start:number,count:number}>}
 */
export function elide(n, budget, elidedCost = 2, boundary = -1) {
  budget = max(3, floor(budget));
  const out = [];
  if (n <= budget) { for (let i = 0; i < n; i++) out.push({ index: i }); return out; }
  const keep = new Set([0, n - 1].concat(boundary >= 0 ? [boundary, boundary - 1].filter((i) => i >= 0 && i < n) : []));
  const gapCost = (g) => (g === 1 ? 1 : g > 1 ? elidedCost : 0);
  const cost = () => {
    let w = 0, prev = -1;
    for (const i of [...keep].sort((a, b) => a - b)) { w += 1 + gapCost(i - prev - 1); prev = i; }
    return w + gapCost(n - 1 - prev);
  };
  grow: for (let k = 1; k < n; k++) {
    for (const c of boundary >= 0 ? [k, n - 1 - k, boundary + k, boundary - 1 - k] : [k, n - 1 - k]) {
      if (c < 0 || c >= n || keep.has(c)) continue;
      keep.add(c);
      if (cost() > budget) { keep.delete(c); break grow; }
    }
  }
  let prev = -1;
  const gap = (a, b) => { if (b - a === 1) out.push({ index: a }); else if (b > a) out.push({ start: a, count: b - a }); };
  for (const i of [...keep].sort((a, b) => a - b)) { gap(prev + 1, i); out.push({ index: i }); prev = i; }
  gap(prev + 1, n);
  return out;
}

/**
 * Draw one zone of a hinting-state/1 document as a standalone SVG document.
 * Why: slides and bug reports need a still picture like the dashboard without a
 * browser session; deterministic, so exports diff cleanly and tests compare strings.
 *
 * @param {object} state  a hinting-state/1 document (`python -m core replay` prints it under "state")
 * @param {object} [options]
 * @param {string} [options.zone]   zone name (default: the zone being cycled, else the first)
 * @param {number} [options.width]  pixels (default 1280, at least 480); the height follows the content
 * @param {"light"|"dark"|"projector"} [options.theme]  default "light"
 * @param {string} [options.title]  shown in the top bar
 * @param {string} [options.idPrefix] prefix of pattern ids (default "hl"), to inline several pictures in one page
 * @returns {string} an SVG document (xmlns, width, height, viewBox)
 */
export function renderStateSvg(state, options = {}) {
  if (!state || !Array.isArray(state.zones) || !state.config) throw new Error("renderStateSvg: not a hinting-state/1 document");
  const theme = options.theme ?? "light";
  const T = THEMES[theme];
  if (!T || !Object.hasOwn(THEMES, theme)) throw new Error(`renderStateSvg: unknown theme ${theme}`);
  const proj = theme === "projector";
  const { fs, fsS, fsK, fsT, ink, ink2, ink3, bh, bar, pad } = T;
  const cfg = state.config;
  const hinting = state.hinting ?? {};
  const work = hinting.work ?? {};
  const zname = options.zone ?? work.zone ?? state.zones[0]?.name;
  const zone = state.zones.find((z) => z.name === zname);
  if (!zone) throw new Error(`renderStateSvg: no zone named ${zname}`);
  const W = max(480, round(options.width ?? 1280));
  const id = String(options.idPrefix ?? "hl").replace(/[^\w-]/g, "") || "hl";
  const url = (name) => `url(#${id}-${name})`;
  const out = [];
  const o = (...s) => out.push(...s);

  // ---- derived facts
  const maxOrder = cfg.max_order;
  const minOrder = cfg.hinting?.min_order ?? cfg.pageblock_order ?? 0;
  const hinted = new Set(zone.hinted ?? []);
  const active = !!zone.flags?.active;
  const end = zone.start_pfn + zone.pages;
  const lists = new Map();
  let freePages = 0;
  let hintedPages = 0;
  for (const fa of zone.free_area ?? []) {
    for (const mt of MTS) {
      const list = fa.free_list?.[mt] ?? [];
      lists.set(`${fa.order}/${mt}`, list);
      freePages += list.length * 2 ** fa.order;
      for (const p of list) if (hinted.has(p)) hintedPages += 2 ** fa.order;
    }
  }
  const listOf = (ord, mt) => lists.get(`${ord}/${mt}`) ?? [];
  const batch = (hinting.batch ?? []).map((b, sg) => ({ ...b, sg }));
  const mine = batch.filter((b) => b.pfn >= zone.start_pfn && b.pfn < end);
  const anoms = (state.anomalies ?? []).filter((a) => a.zone === zone.name);
  const pbCount = Object.fromEntries(MTS.map((m) => [m, 0]));
  for (const m of zone.pageblocks ?? []) pbCount[m] = (pbCount[m] ?? 0) + 1;
  const bw = ceil(max(bh * 1.5, String(max(0, end - 1)).length * T.bfs * 0.62 + T.bfs * 1.1));
  const boundaryOf = (ord, mt) => {
    const b = hinting.boundary?.[String(ord)]?.[mt];
    return b && b.zone === zone.name ? b : null; // boundary[][] is global: drawn in the zone it points into
  };
  const X0 = pad;
  const PW = W - 2 * pad; // panel width
  const ip = pad * 0.75;
  const panel = (y, h) => o(rect(X0, y, PW, h, T.panel, st(T.line, T.pl) + ` rx="${proj ? 3 : 4}"`));
  const swatch = (x, y, s, mt) => rect(x, y, s, s, mt === "Isolate" ? url("iso") : MT_COL[MTS.indexOf(mt)] ?? ink3, st(ink, proj ? 1.5 : 1));
  const panelTitle = (y, title, sub, sfs = fs) => {
    o(text(X0 + ip, y, title, fsT + 1, ink, B));
    const sx = X0 + ip + tw(title, fsT + 1, false, true) + 12;
    if (sub) o(text(sx, y, fit(sub, sfs, X0 + PW - ip - sx), sfs, ink2));
  };

  // ---- top bar: title left; zone and virtual time right
  let y = T.barH;
  {
    const H = T.barH;
    const mid = H / 2 + fsT * 0.36;
    o(rect(0, 0, W, H, T.top));
    if (T.top === T.panel) o(`<path d="M0 ${H - 0.5}H${W}"${st(T.line)}/>`);
    o(text(pad, mid, "Hinting Lab", fsT + 2, T.topInk, B));
    const t = ms1(state.now_ms);
    let x = W - pad;
    o(text(x, mid, "ms", fs, T.topInk, END));
    x -= tw("ms", fs) + 6;
    o(text(x, mid, t, fsK, T.topInk, MONO + B + END + ' data-role="time"'));
    x -= tw(t, fsK, true) + 4;
    o(text(x, mid, "t", fs, T.topInk, END + ' font-style="italic"'));
    x -= tw("t", fs) + 18;
    o(text(x, mid, zone.name, fsT, T.topInk, B + END));
    x -= tw(zone.name, fsT, false, true) + 18;
    const tx = pad + tw("Hinting Lab", fsT + 2, false, true) + 20;
    if (options.title) {
      o(`<path d="M${r(tx - 9)} ${r(H * 0.28)}V${r(H * 0.72)}"${st(T.topInk)} stroke-opacity="0.6"/>`);
      o(text(tx, mid, fit(options.title, fs + 1, x - tx), fs + 1, T.topInk, ' data-role="title"'));
    }
  }

  // ---- zone header: items flow left to right; the free-page count goes first when space is short
  {
    const y0 = y + pad;
    const labH = fsS + 4;
    const kH = fsK;
    const items = [];
    const label = (x, yy, s) => text(x, yy + fsS, s, fsS, ink2, B + ' letter-spacing="0.6"');
    const range = `pfn ${zone.start_pfn}–${end - 1}`;
    items.push({ w: max(tw(zone.name, kH + 3, false, true), tw(range, fsS, true)), draw: (x, yy) => [
      text(x, yy + kH + 2, zone.name, kH + 3, ink, B), text(x, yy + kH + labH + 8, range, fsS, ink3, MONO)] });
    // lamps: lit = orange with a dark ring; unlit = hollow grey
    const rr = kH * 0.5;
    const lamps = [["requested", "REQUESTED"], ["active", "ACTIVE"]].map(([key, s]) => ({ key, s, lit: !!zone.flags?.[key], w: rr * 2 + 8 + tw(s, fs + 2, false, true) }));
    items.push({ w: lamps[0].w + lamps[1].w + 18, draw: (x, yy) => lamps.flatMap((l) => {
      const cy = yy + (kH + labH + 8) / 2;
      const res = [`<g data-lamp="${l.key}" data-lit="${l.lit}"><circle cx="${r(x + rr)}" cy="${r(cy)}" r="${r(rr)}" fill="${l.lit ? ORANGE : "none"}"${st(l.lit ? ink : ink3, l.lit ? 2.5 : 2)}/>`,
        text(x + rr * 2 + 8, cy + (fs + 2) * 0.36, l.s, fs + 2, l.lit ? ink : ink3, B + ' letter-spacing="0.5"'), "</g>"];
      x += l.w + 18;
      return res;
    }) });
    const kv = (lab, value, vfs, role, extra = {}) => items.push({ opt: extra.opt,
      w: max(tw(lab, fsS, false, true) + lab.length * 0.6, tw(value, vfs, true, true) + (extra.w ?? 0)),
      draw: (x, yy) => [label(x, yy, lab), text(x, yy + labH + vfs, value, vfs, ink, MONO + B + ` data-role="${role}"`), ...(extra.after?.(x, yy + labH + vfs) ?? [])] });
    if (hinting.refcnt !== undefined && hinting.refcnt !== null) kv("REFCNT", num(hinting.refcnt), kH, "refcnt");
    // WORK: words, and under them the phase strip fill › react › drain with a bar where the work stopped
    const phase = work.phase ?? "idle";
    let words = { idle: "idle", react: "stopped before react", drain: "stopped before drain" }[phase] ?? `stopped before ${phase}`;
    if (phase === "idle" && work.pending) words = "pending";
    if (!hinting.enabled) words += " · hinting off";
    {
      const vfs = fs + (proj ? 5 : 3);
      const steps = ["fill", "react", "drain"];
      const cw = steps.map((s) => tw(s, fsS, true) + 10);
      const zs = phase !== "idle" && work.zone ? `zone ${work.zone}` : "";
      const sw = cw[0] + cw[1] + cw[2] + 24 + (zs ? tw(zs, fsS) + 10 : 0);
      items.push({ w: max(tw(words, vfs, false, true), sw), draw: (x, yy) => {
        const res = [label(x, yy, "WORK"), text(x, yy + labH + vfs - 2, words, vfs, ink, B + ' data-role="work"'), `<g data-role="phase" data-phase="${esc(phase)}">`];
        const ch = fsS + 7;
        const cy = yy + labH + vfs + 4;
        steps.forEach((s, i) => {
          const cur = phase === s;
          if (i) {
            res.push(cur ? rect(x + 4.5, cy - 3, bar, ch + 6, ink) : text(x + 6, cy + ch / 2 + fs * 0.36, "›", fs, ink3, MID));
            x += 12;
          }
          res.push(rect(x, cy, cw[i], ch, cur ? T.panel : T.chip, st(cur ? ink : T.line, cur ? 2 : 1) + ' rx="3"'),
            text(x + cw[i] / 2, cy + ch / 2 + fsS * 0.36, s, fsS, cur ? ink : ink3, MONO + MID + (cur ? B : "")));
          x += cw[i];
        });
        if (zs) res.push(text(x + 10, cy + ch / 2 + fsS * 0.36, zs, fsS, ink2));
        return res.concat("</g>");
      } });
    }
    // DUE: a countdown (with a bar) while pending, "— running" during a cycle
    {
      const now = state.now_ms ?? 0;
      const due = work.due_ms ?? null;
      let value = "—", sub = "", frac = null;
      if (work.pending && due !== null && phase === "idle") {
        value = `in ${ms1(max(0, due - now)).replace(/\.0$/, "")} ms`;
        sub = `@ ${ms1(due)}`;
        if (cfg.hinting?.delay_ms) frac = min(1, max(0, 1 - (due - now) / cfg.hinting.delay_ms));
      } else if (phase !== "idle") {
        value = "— running";
        if (work.pending && due !== null) sub = `next @ ${ms1(due)}`;
      }
      const vfs = proj ? fsK - 4 : fs + 3;
      kv("DUE", value, vfs, "due", { w: sub ? tw(sub, fsS, true) + 6 : 0, after: (x, by) => {
        const vw = tw(value, vfs, true, true);
        const bwid = max(vw, 80);
        return [sub ? text(x + vw + 6, by, sub, fsS, ink3, MONO) : "",
          frac === null ? "" : rect(x, by + 5, bwid, 6, T.panel, st(ink, 1.2) + ' rx="3"') + rect(x, by + 5, bwid * frac, 6, ink, ' rx="3"')];
      } });
    }
    const hasHints = !!zone.hinted;
    kv(hasHints ? "FREE · HINTED" : "FREE", `${num(freePages)}${hasHints ? ` · ${num(hintedPages)}` : ""} pg`, proj ? fsK - 2 : fs + 4, "free", { opt: true });
    // config: three short lines, so the header stays one row on a 1280 px slide
    const hc = cfg.hinting ?? {};
    const parts = [["hwm", hc.hwm], ["min_order", hc.min_order], ["capacity", hc.capacity]].filter((p) => p[1] !== undefined && p[1] !== null);
    if (parts.length) {
      const lw = max(...parts.map((p) => tw(p[0], fsS, true))) + 6;
      items.push({ w: lw + max(...parts.map((p) => tw(num(p[1]), fsS + 1, true))), draw: (x, yy) => parts.flatMap((p, i) => {
        const ly = yy + fsS + i * (fsS + (proj ? 6 : 5)) + (proj ? 4 : 3);
        return [text(x, ly, p[0], fsS, ink3, MONO), text(x + lw, ly, num(p[1]), fsS + 1, ink, MONO + B + ` data-role="${p[0]}"`)];
      }) });
    }
    if (anoms.length) {
      const s = `▲ ${num(anoms.length)} anomal${anoms.length === 1 ? "y" : "ies"}`;
      const w = tw(s, fs + 1, false, true) + 20;
      const abh = fs + 14;
      items.push({ w, draw: (x, yy) => [`<g data-role="anomalies" data-count="${anoms.length}">`, rect(x, yy + labH - 4, w, abh, T.anomBg, st(VERM, 1.5) + ' rx="4"'),
        text(x + 10, yy + labH - 4 + abh / 2 + (fs + 1) * 0.36, s, fs + 1, VERM, B), "</g>"] });
    }
    const inner = W - 4 * pad;
    const gapX = proj ? 26 : 22;
    const rowH = labH + kH + fsS + 12;
    const width = (list) => list.reduce((a, it) => a + it.w + gapX, -gapX);
    const shown = width(items) > inner && width(items.filter((it) => !it.opt)) <= inner ? items.filter((it) => !it.opt) : items;
    const rows = [[]];
    let x = 0;
    for (const it of shown) {
      if (x > 0 && x + it.w > inner) { rows.push([]); x = 0; }
      rows.at(-1).push([x, it]);
      x += it.w + gapX;
    }
    const h = rows.length * rowH + pad * 0.5 * (rows.length - 1) + pad * 1.4;
    panel(y0, h);
    o('<g data-role="header">');
    rows.forEach((row, i) => { for (const [ix, it] of row) o(...it.draw(2 * pad + ix, y0 + pad * 0.7 + i * (rowH + pad * 0.5))); });
    o("</g>");
    y = y0 + h;
  }

  // ---- the free-area grid: rows max_order-1 .. 0, columns migratetypes, each cell a list head -> tail
  let anyDim = false;
  {
    const y0 = y + pad * 0.75;
    const gutW = max(proj ? 130 : 104, tw("nr_free · Hinted", fsS) + 10);
    const cpad = 6;
    const mw = bar + 2 * T.gap + 2; // room for a boundary marker
    const bstep = bw + T.gap;
    const eText = (n, narrow) => (narrow ? `…${num(n)}…` : `… ${num(n)} more …`);
    const ew = (n, narrow) => tw(eText(n, narrow), fsS) + 12;
    const cols = [];
    let hidden = 0;
    for (const mt of MTS) {
      let n = 0;
      for (let ord = 0; ord < maxOrder; ord++) n = max(n, listOf(ord, mt).length);
      if (proj && n === 0 && !pbCount[mt]) { hidden++; continue; }
      const head = cpad + fs * 0.85 + 12 + max(tw(mt, fs, false, true), tw(plural(pbCount[mt], "pageblock"), fsS));
      const full = max(head, 2 * cpad + n * bstep + mw + (proj ? 8 : 4));
      const anchors = min(n, 4) * bstep + (n > 4 ? 2 * (ew(n, false) + T.gap) : 0);
      cols.push({ mt, head, full, min: max(head, min(full, 2 * cpad + anchors + mw)), weight: mt === "Movable" ? 5 : n ? 1.5 : 0.4 });
    }
    // Widths: what every list needs if that fits (spare room by weight, Movable wide); else shrink
    // the long lists towards their anchors; else keep every heading and let the long lists elide more.
    const avail = PW - 2 * ip - gutW;
    const sum = (k) => cols.reduce((a, c) => a + c[k], 0);
    const share = (lo, hi) => { const d = sum(hi) - sum(lo); for (const c of cols) c.w = c[lo] + (avail - sum(lo)) * (d ? (c[hi] - c[lo]) / d : 1 / cols.length); };
    if (sum("full") <= avail) for (const c of cols) c.w = c.full + (avail - sum("full")) * c.weight / sum("weight");
    else if (sum("min") <= avail) share("min", "full");
    else if (sum("head") <= avail) share("head", "min");
    else for (const c of cols) c.w = c.head * avail / sum("head");
    const flagH = fsS + 5;
    const rh = flagH + bh + (proj ? 12 : 9);
    const colH = fs + fsS + 12;
    const legendH = fsS + 18;
    const h = ip + fsT + 14 + colH + maxOrder * rh + legendH + ip * 0.5;
    panel(y0, h);
    const ty = y0 + ip + fsT;
    const hid = hidden ? ` · ${plural(hidden, "empty migratetype")} hidden` : "";
    const sub = proj ? `head → tail${hid}` : `free_area[order].free_list[migratetype] · head → tail · block = pfn${hid}`;
    const conf = `MAX_ORDER ${maxOrder} · pageblock_order ${cfg.pageblock_order}`;
    panelTitle(ty, "free lists", sub);
    if (X0 + ip + tw("free lists", fsT + 1, false, true) + 12 + tw(sub, fs) + tw(conf, fsS, true) + 30 < X0 + PW) o(text(X0 + PW - ip, ty, conf, fsS, ink3, MONO + END));
    const gx = X0 + ip;
    const cy = ty + 10;
    o(text(gx, cy + fs, "order", fs, ink, SB), text(gx, cy + fs + fsS + 3, "nr_free · Hinted", fsS, ink3));
    let cx = gx + gutW;
    for (const c of cols) {
      const sw = fs * 0.85;
      const room = c.w - cpad - sw - 9; // squeezed columns get shortened headings
      c.x = cx;
      o(`<g data-role="colhead" data-mt="${c.mt}">`, swatch(cx + cpad, cy + fs - sw + 1, sw, c.mt), text(cx + cpad + sw + 5, cy + fs, fit(c.mt, fs * 1.12, room), fs, ink, SB),
        text(cx + cpad + sw + 5, cy + fs + fsS + 3, fit(plural(pbCount[c.mt], "pageblock"), fsS, room), fsS, ink3), "</g>",
        `<clipPath id="${id}-c${c.mt}">${rect(cx, y0, c.w, h, "#000")}</clipPath>`);
      cx += c.w;
    }
    const gy = cy + colH;
    const gridR = cx;
    for (let i = 0; i < maxOrder; i++) {
      const ord = maxOrder - 1 - i;
      const ry = gy + i * rh;
      const below = ord < minOrder;
      const hb = halo(below && T.band); // keeps gutter text readable over the hatch
      o(`<g data-role="row" data-order="${ord}"${below ? ' data-below="true"' : ""}>`);
      if (below) o(rect(gx + gutW, ry, gridR - gx - gutW, rh, T.band), rect(gx - 4, ry, gutW + 4, rh, url("gut")));
      o(`<path d="M${r(gx - 4)} ${r(ry + rh)}H${r(gridR)}"${st(T.line, proj ? 1.5 : 1)}/>`);
      const l1 = ry + rh * 0.42;
      const l2 = ry + rh * 0.84;
      const nf = zone.free_area?.[ord]?.nr_free ?? 0;
      const nfx = gx + tw(num(nf), fs, true) + 8;
      o(text(gx, l1, `o${ord}`, fs + 3, ink, MONO + B + hb), text(gx + tw(`o${ord}`, fs + 3, true) + 8, l1, `${num(2 ** ord)} pg`, fsS, ink3, hb),
        text(gx, l2, num(nf), fs, ink, MONO + hb + ' data-role="nr_free"'));
      if (below) o(text(nfx, l2, "not hinted", fsS, ink3, ' font-style="italic"' + hb));
      else {
        const hp = zone.hinted_pages?.[ord - minOrder]; // null until the zone's first cycle: "–", not 0
        o(rect(nfx, l2 - fsS + 1, fsS, fsS, url("h"), st(T.hLine)),
          text(nfx + fsS + 4, l2, hp === null || hp === undefined ? "–" : num(hp), fs, T.hText, MONO + B + ' data-role="hinted_pages"'));
      }
      for (const c of cols) {
        if (c.x > gx + gutW) o(`<path d="M${r(c.x)} ${r(ry)}V${r(ry + rh)}"${st(T.line)}/>`);
        cell(c, ord, ry, rh, flagH, { cpad, mw, ew, eText });
      }
      o("</g>");
    }
    if (minOrder > 0 && minOrder < maxOrder) {
      const dy = gy + (maxOrder - minOrder) * rh;
      const s = `min_order ${minOrder}`;
      const lw = tw(s, fsS, true) + 10;
      o(`<g data-role="min-order"><path d="M${r(gx - 4)} ${r(dy)}H${r(gridR)}"${st(ink, proj ? 2 : 1.3)} stroke-dasharray="6 4"/>`,
        rect(gridR - lw - 2, dy - (fsS + 6) / 2, lw, fsS + 6, ink2, ' rx="3"'), text(gridR - lw / 2 - 2, dy + fsS * 0.36, s, fsS, T.panel, MONO + MID), "</g>");
    }
    // legend
    const ly = gy + maxOrder * rh + legendH * 0.7;
    const sw = fsS + 2;
    let lx = gx;
    o('<g data-role="legend">');
    const item = (draw, s) => {
      if (lx + sw * 1.6 + 6 + tw(s, fsS) > X0 + PW) return;
      o(draw(lx, ly - sw + 2), text(lx + sw * 1.6 + 6, ly, s, fsS, ink2));
      lx += sw * 1.6 + 24 + tw(s, fsS);
    };
    item((x, yy) => rect(x, yy, sw * 1.6, sw, T.blk, st(T.blkLine) + ' rx="2"'), "free block");
    item((x, yy) => rect(x, yy, sw * 1.6, sw, url("h"), st(T.hLine, 1.5) + ' rx="2"'), "free, Hinted");
    item((x, yy) => rect(x + sw * 0.8, yy - 3, bar, sw + 6, ink), "boundary → block on its right");
    item((x, yy) => hook(x + sw * 0.8, yy - 3, sw + 6, ink, false), "boundary → list head");
    if (anyDim) item((x, yy) => rect(x + sw * 0.8, yy - 3, bar, sw + 6, ink3) + dashCut(x + sw * 0.8, yy - 3, sw + 6), "dashed, grey: ACTIVE is off");
    if (anoms.length) item((x, yy) => rect(x, yy, sw * 1.6, sw, "none", st(VERM, 1.5) + ' stroke-dasharray="3 2"') + text(x + sw * 0.8, yy + sw - 2, "▲", sw - 3, VERM, MID), "anomaly");
    o("</g>");
    y = y0 + h;
  }

  /** Gaps cut across a boundary bar in the panel colour: the dashed look of a marker while ACTIVE is off. */
  function dashCut(x, yy, h) {
    return `<path d="M${r(x + bar / 2)} ${r(yy + 4)}v${r(h - 4)}"${st(T.panel, bar + 1)} stroke-dasharray="2.5 3.5"/>`;
  }
  /** A boundary bar with a hook at the top pointing back into the row: it points at the list head. */
  function hook(x, yy, h, fill, dim) {
    const k = proj ? 9 : 7;
    return `<path d="M${r(x)} ${r(yy)}h${bar}v${r(h)}h${-bar}zM${r(x - k)} ${r(yy)}h${k}v${bar}h${-k}z" fill="${fill}"/>` + (dim ? dashCut(x, yy, h) : "");
  }

  /** One free list, head to tail, with its boundary marker (and anomaly outline). */
  function cell(c, ord, ry, rh, flagH, g) {
    const { mt, x, w } = c;
    const list = listOf(ord, mt);
    const n = list.length;
    const bnd = boundaryOf(ord, mt);
    let bIndex = -1;
    if (bnd) bIndex = bnd.pfn === null || bnd.pfn === undefined ? n : list.indexOf(bnd.pfn);
    const stale = !!bnd && bIndex < 0; // points at a block no longer on this list
    const here = anoms.filter((a) => a.order === ord && a.migratetype === mt);
    const ring = new Set(here.map((a) => a.pfn));
    const bstep = bw + T.gap;
    const room = w - 2 * g.cpad - (bnd ? g.mw : 0) - (stale ? tw(`stale → ${bnd.pfn}`, fsS) : 0);
    const narrow = room / bstep < 6;
    const segs = elide(n, (room + T.gap) / bstep, (g.ew(n, narrow) + T.gap) / bstep, bIndex);
    const by = ry + flagH + 2;
    const dim = !active;
    anyDim ||= dim && !!bnd;
    const marker = (mx, kind, target, idx) => {
      const top = ry + flagH - 4;
      const hgt = bh + 9;
      const bInk = dim ? ink3 : ink;
      let s = `<g data-role="boundary" data-kind="${kind}" data-target="${target}" data-index="${idx}" data-active="${active}">`;
      if (kind === "head") s += hook(mx, top, hgt, bInk, dim) + text(mx + bar, ry + flagH - 6, "head", fsS, ink3, END);
      else if (kind === "empty") s += rect(mx, by + bh * 0.2, bar, bh * 0.6, ink3);
      else {
        s += rect(mx, top, bar, hgt, bInk) + text(mx, ry + flagH - 6, kind === "stale" ? `stale → ${target}` : "boundary", fsS, kind === "stale" ? VERM : ink2, SB);
        if (dim) s += dashCut(mx, top, hgt); // ACTIVE off: dashes, not only the lighter ink
      }
      return s + "</g>";
    };
    const dash = (x1) => text(x1 + 4, by + bh / 2 + fs * 0.36, "—", fs, ink3);
    o(`<g data-role="list" data-order="${ord}" data-mt="${mt}" data-count="${n}" clip-path="${url(`c${mt}`)}">`);
    if (here.length) o(rect(x + 2, ry + 2, w - 4, rh - 4, VERM, st(VERM, 1.5) + ' fill-opacity="0.08" stroke-dasharray="5 3" data-role="anomaly"'), text(x + w - 5, ry + fsS + 2, "▲", fsS, VERM, END));
    let bx = x + g.cpad;
    for (const s of segs) {
      if (s.index !== undefined) {
        const i = s.index;
        const pfn = list[i];
        if (i === bIndex) { o(marker(bx + 1, "block", pfn, i)); bx += g.mw; }
        const h = hinted.has(pfn);
        o(`<g data-role="block" data-pfn="${pfn}" data-order="${ord}" data-mt="${mt}" data-index="${i}" data-hinted="${h}">`,
          rect(bx, by, bw, bh, h ? url("h") : T.blk, st(h ? T.hLine : T.blkLine, h ? T.sw + 0.5 : T.sw) + ' rx="2"'),
          text(bx + bw / 2, by + bh / 2 + T.bfs * 0.36, pfn, T.bfs, ink, MONO + MID + (h ? B + halo(T.halo) : "")),
          ring.has(pfn) ? rect(bx - 3, by - 3, bw + 6, bh + 6, "none", st(VERM, 2) + ' rx="4" data-role="anomaly-ring"') : "", "</g>");
        bx += bstep;
      } else {
        let hc = 0;
        for (let k = s.start; k < s.start + s.count; k++) if (hinted.has(list[k])) hc++;
        const e = g.ew(n, narrow);
        o(`<g data-role="elided" data-start="${s.start}" data-count="${s.count}" data-hinted="${hc}">`,
          rect(bx, by, e, bh, T.chip, st(T.line) + ' rx="2" stroke-dasharray="2 2"'),
          text(bx + e / 2, by + bh / 2 + fsS * 0.36, g.eText(s.count, narrow), fsS, ink2, MID),
          hc ? rect(bx + e - 7, by + 2, 5, 5, GREEN, st(T.hLine, 0.8)) : "", "</g>");
        bx += e + T.gap;
      }
    }
    if (n === 0 && !stale) {
      if (bnd) { o(marker(bx + 1, "empty", "head", 0)); bx += g.mw; }
      o(dash(bx));
    } else if (bIndex === n) o(marker(bx + 1, "head", "head", n));
    else if (stale) {
      if (n === 0) { o(dash(bx)); bx += fs + 8; }
      o(marker(bx + 1, "stale", bnd.pfn, -1));
    }
    o("</g>");
  }

  // ---- the batch lane: blocks pulled by page_hinting_fill, in scatterlist order, on no list
  if (batch.length) {
    const y0 = y + pad * 0.75;
    const phase = work.phase ?? "idle";
    const cap = cfg.hinting?.capacity;
    const pages = mine.reduce((a, b) => a + 2 ** b.order, 0);
    const label = (b) => `${b.pfn} · o${b.order} · ${"UMRHI"[MTS.indexOf(b.migratetype)] ?? "?"}`;
    const boxH = bh + 6;
    const sgH = fsS + 4;
    const lineH = sgH + boxH + 8;
    const hostW = max(tw("host · react", fs, false, true), tw("called: not resident", fsS)) + 20;
    const laneW = PW - 2 * ip - hostW - 50 - (proj ? 0 : min(300, PW * 0.28));
    const placed = [];
    let bx = 0, row = 0, more = 0;
    for (let i = 0; i < mine.length; i++) {
      const w = tw(label(mine[i]), fs, true) + fs * 0.7 + 26;
      if (bx > 0 && bx + w > laneW) { row++; bx = 0; }
      if (row >= 3) { more = mine.length - i; break; } // three rows at most, the rest counted
      placed.push({ b: mine[i], x: bx, row, w });
      bx += w + 10;
    }
    const h = ip + fsT + 12 + min(row + 1, 3) * lineH + (more ? fsS + 8 : 0) + ip * 0.5;
    panel(y0, h);
    const ty = y0 + ip + fsT;
    o(`<g data-role="batch" data-count="${mine.length}" data-phase="${esc(phase)}">`);
    panelTitle(ty, "batch", mine.length
      ? `page_hinting_fill → scatterlist, in flight to the host · ${mine.length}${cap ? ` / ${cap}` : ""} blocks · ${num(pages)} pages`
      : `in flight: ${plural(batch.length, "block")} of zone ${work.zone ?? "?"}, none of this zone`);
    const ly = ty + 12;
    const sw = fs * 0.7;
    for (const p of placed) {
      const x = X0 + ip + p.x;
      const yy = ly + p.row * lineH;
      o(`<g data-role="inflight" data-pfn="${p.b.pfn}" data-sg="${p.b.sg}" data-order="${p.b.order}">`, text(x, yy + fsS, `sg[${p.b.sg}]`, fsS, ink3, MONO),
        rect(x, yy + sgH, p.w, boxH, url("dot"), st(T.fLine, proj ? 2 : 1.5) + ' rx="3" stroke-dasharray="4 3"'),
        text(x + 7, yy + sgH + boxH / 2 + fs * 0.36, label(p.b), fs, ink, MONO + SB + halo(T.fBg)),
        swatch(x + p.w - sw - 6, yy + sgH + (boxH - sw) / 2, sw, p.b.migratetype), "</g>");
    }
    if (more) o(text(X0 + ip, ly + 3 * lineH + fsS, `… ${num(more)} more in flight …`, fsS, ink2, ` data-role="inflight-more" data-count="${more}"`));
    const ax = X0 + ip + max(0, ...placed.filter((p) => p.row === 0).map((p) => p.x + p.w)) + 12;
    const ay = ly + sgH + boxH / 2;
    const hx = ax + 40;
    const reacted = phase === "drain";
    o(`<path d="M${r(ax)} ${r(ay)}H${r(hx - 6)}"${st(ink2, 1.5)} stroke-dasharray="2 3"/><path d="M${r(hx - 7)} ${r(ay - 4)}l6 4l-6 4z" fill="${ink2}"/>`,
      rect(hx, ay - boxH * 0.75, hostW, boxH * 1.5, T.panel, st(ink, proj ? 2 : 1.2) + ' rx="4"'),
      text(hx + hostW / 2, ay - 2, "host · react", fs, ink, SB + MID),
      text(hx + hostW / 2, ay + fsS + 2, reacted ? "called: not resident" : "not yet called", fsS, ink3, MID));
    const nx = hx + hostW + 16;
    if (!proj && mine.length && nx + 120 < X0 + PW) {
      (reacted ? ["next step: drain. The blocks go back", "to their free lists, marked Hinted,", "and the boundaries move."]
        : [`next step: react. ${num(pages)} pages (${plural(mine.length, "block")})`, "leave the host. Allocs and frees go on", "meanwhile: the zone lock is dropped."])
        .forEach((s, i) => o(text(nx, ay - fsS + i * (fsS + 3), fit(s, fsS, X0 + PW - ip - nx), fsS, ink2)));
    }
    o("</g>");
    y = y0 + h;
  }

  // ---- physical memory map: whole pageblocks per row, a pageblock stripe under each row;
  // big zones aggregate pages per cell (the most common state wins)
  {
    const y0 = y + pad * 0.75;
    const pages = zone.pages;
    const pb = 2 ** cfg.pageblock_order;
    const labW = tw(String(end - 1), fsS, true) + 12;
    const Wm = PW - 2 * ip - labW;
    const maxCols = max(1, floor(Wm / T.minCell));
    let ppc = 1;
    while (ceil(pages / ppc) > maxCols * T.maxRows) ppc *= 2;
    const cells = ceil(pages / ppc);
    const pbCells = max(1, pb / ppc);
    const fit = (m) => min(cells, pbCells <= m ? floor(m / pbCells) * pbCells : m);
    let cols = fit(max(1, floor(Wm / T.comfy))); // comfortable cells if they fit in maxRows rows
    if (ceil(cells / cols) > T.maxRows) cols = fit(maxCols);
    const nrows = ceil(cells / cols);
    cols = min(cols, ceil(ceil(cells / nrows) / pbCells) * pbCells);
    const cw = min(T.maxCell, Wm / cols);
    const ch = max(T.minCell, min(cw, T.mapH));
    const stripe = proj ? 6 : 4;
    const rowH = ch + stripe + (proj ? 8 : 5);
    // page codes: 0 free, 1 Hinted, 2 in flight, 3 + migratetype allocated
    const code = new Uint8Array(pages);
    const nonres = new Uint8Array(pages);
    const put = (arr, from, count, v) => {
      const a = max(0, from - zone.start_pfn);
      const b = min(pages, from - zone.start_pfn + count);
      if (b > a) arr.fill(v, a, b);
    };
    for (const a of zone.allocated ?? []) put(code, a.pfn, 2 ** a.order, 3 + max(0, MTS.indexOf(a.migratetype)));
    for (const [key, list] of lists) for (const p of list) if (hinted.has(p)) put(code, p, 2 ** +key.split("/")[0], 1);
    for (const b of mine) put(code, b.pfn, 2 ** b.order, 2);
    for (const [first, count] of zone.nonresident ?? []) put(nonres, first, count, 1);
    const cc = new Uint8Array(cells);
    const cn = new Uint8Array(cells);
    const cpb = new Uint8Array(cells);
    const rank = [1, 3, 4, 2, 2, 2, 2, 2]; // ties: in flight, Hinted, allocated, free
    const pbs = zone.pageblocks ?? [];
    const pbIdx = (q) => max(0, MTS.indexOf(pbs[q] ?? "Movable"));
    const cnt = new Uint32Array(8); // reused: allocating per cell is slow for big zones
    for (let c = 0; c < cells; c++) {
      const a = c * ppc;
      const b = min(pages, a + ppc);
      if (ppc === 1) { cc[c] = code[a]; cn[c] = nonres[a]; } else {
        cnt.fill(0);
        let nr = 0;
        for (let p = a; p < b; p++) { cnt[code[p]]++; nr += nonres[p]; }
        let best = 0;
        for (let k = 1; k < 8; k++) if (cnt[k] > cnt[best] || (cnt[k] === cnt[best] && cnt[k] && rank[k] > rank[best])) best = k;
        cc[c] = best;
        cn[c] = nr * 2 >= b - a ? 1 : 0; // not resident if half or more is
      }
      if (ppc <= pb) cpb[c] = pbIdx(floor(a / pb));
      else {
        cnt.fill(0);
        for (let q = floor(a / pb); q < ceil(b / pb); q++) cnt[pbIdx(q)]++;
        cpb[c] = cnt.indexOf(max(...cnt));
      }
    }
    const legendH = fsS + 20;
    const h = ip + fsT + 14 + nrows * rowH + legendH + ip * 0.3;
    panel(y0, h);
    const ty = y0 + ip + fsT;
    panelTitle(ty, "physical memory", `${num(pages)} pages · ${ppc === 1 ? "1 cell = 1 page" : `1 cell = ${num(ppc)} pages (most of them)`} · ${num(cols * ppc)} pfn a row · stripe = pageblock (${num(pb)} pages)`, proj ? fsS : fs);
    const mx = X0 + ip + labW;
    const my = ty + 12;
    const fillOf = (k) => [T.mapFree, url("h"), url("dot"), MT_COL[0], MT_COL[1], MT_COL[2], MT_COL[3], url("iso")][k];
    o(`<g data-role="map" data-pages-per-cell="${ppc}" data-cols="${cols}" data-rows="${nrows}">`);
    const seen = new Set();
    const runs = (c0, c1, same, draw) => {
      for (let c = c0; c < c1;) {
        let e = c + 1;
        while (e < c1 && same(e, c)) e++;
        draw(c, e);
        c = e;
      }
    };
    for (let row = 0; row < nrows; row++) {
      const yy = my + row * rowH;
      const c0 = row * cols;
      const c1 = min(cells, c0 + cols);
      const X = (c) => mx + (c - c0) * cw;
      o(text(mx - 6, yy + ch / 2 + fsS * 0.36, zone.start_pfn + c0 * ppc, fsS, ink3, MONO + END));
      runs(c0, c1, (e, c) => cc[e] === cc[c], (c, e) => {
        const k = cc[c];
        seen.add(k);
        o(rect(X(c), yy, (e - c) * cw, ch, fillOf(k), k === 1 ? st(T.hLine) : k === 2 ? st(T.fLine) + ' stroke-dasharray="3 2"' : ""));
      });
      // Hinted implies not resident; the overlay marks the other cases (a batch after react, a wasted hint).
      const nr = (c) => cn[c] && cc[c] !== 1;
      runs(c0, c1, (e, c) => nr(e) === nr(c), (c, e) => {
        if (!nr(c)) return;
        seen.add("nr");
        o(rect(X(c), yy, (e - c) * cw, ch, url("nr"), ' data-role="nonresident"'));
      });
      runs(c0, c1, (e, c) => cpb[e] === cpb[c], (c, e) => {
        seen.add(`pb${cpb[c]}`);
        o(rect(X(c), yy + ch + 1.5, (e - c) * cw, stripe, cpb[c] === 4 ? url("iso") : MT_COL[cpb[c]]));
      });
      const rw = (c1 - c0) * cw;
      if (cw >= 8 && ppc < pb) o(separators(mx, yy, rw, ch, cw, cw >= 14 ? 1 : 0.6));
      if (pbCells > 1 && pbCells * cw >= 24) o(separators(mx, yy, rw, ch + stripe + 1.5, pbCells * cw, proj ? 3 : 2));
      if (ppc === 1 && pbCells * cw >= tw(String(end - 1), fsS, true) + 8) { // pfn of each pageblock, when it fits
        for (let c = c0; c < c1; c += pbCells) {
          const k = cc[c];
          const hl = k === 1 ? T.halo : k === 2 ? T.fBg : cn[c] ? T.panel : "";
          const fill = hl || k === 0 ? ink : k === 3 || k === 4 || k === 7 ? "#FFFFFF" : "#1B1D1F";
          o(text(X(c) + 4, yy + ch / 2 + fsS * 0.36, zone.start_pfn + c, fsS, fill, MONO + SB + halo(hl)));
        }
      }
    }
    o("</g>");
    const ly = my + nrows * rowH + legendH * 0.6;
    const sw = fsS + 1;
    let lx = X0 + ip;
    o('<g data-role="map-legend">');
    const item = (fill, s, stroke = ink3) => {
      const lw = tw(s, fsS) + sw + 22;
      if (lx + lw > X0 + PW - ip) return;
      o(rect(lx, ly - sw + 2, sw, sw, fill, st(stroke)), text(lx + sw + 5, ly, s, fsS, ink2));
      lx += lw;
    };
    for (let k = 3; k < 8; k++) if (seen.has(k)) item(fillOf(k), `allocated ${MTS[k - 3]}`);
    item(T.mapFree, "free");
    if (seen.has(1)) item(url("h"), "free, Hinted · not resident", T.hLine);
    if (seen.has(2)) item(url("dot"), "in flight", T.fLine);
    if (seen.has("nr")) item(url("nr"), "not resident on host");
    if (seen.has("pb3")) item(MT_COL[3], "pageblock HighAtomic");
    if (seen.has("pb4")) item(url("iso"), "pageblock Isolate");
    o("</g>");
    y = y0 + h;
  }

  /** Vertical separators every `step` px as one path (cheap for thousands of cells). */
  function separators(x, yy, w, h, step, sw) {
    let d = "";
    for (let i = 1; i < round(w / step); i++) d += `M${r(x + i * step)} ${r(yy)}v${r(h)}`;
    return d ? `<path d="${d}"${st(T.panel, sw)}/>` : "";
  }

  const H = ceil(y + pad);
  const hs = T.hatch;
  const d = proj ? 7 : 5;
  const pat = (name, size, body, rot = 45) => `<pattern id="${id}-${name}" patternUnits="userSpaceOnUse" width="${size}" height="${size}"${rot ? ` patternTransform="rotate(${rot})"` : ""}>${body}</pattern>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Inter, system-ui, sans-serif"` +
    ` data-zone="${esc(zone.name)}" data-theme="${theme}"><title>${esc(`Hinting Lab · zone ${zone.name} · t ${ms1(state.now_ms)} ms${options.title ? ` · ${options.title}` : ""}`)}</title><defs>` +
    pat("h", hs, rect(0, 0, hs, hs, T.hBg) + rect(0, 0, hs * 0.42, hs, GREEN)) +
    pat("iso", 4, rect(0, 0, 4, 4, "#000000") + rect(0, 0, 1.6, 4, "#FFFFFF")) +
    pat("nr", d, rect(0, 0, proj ? 2.2 : 1.5, d, T.nonres, ' fill-opacity="0.85"'), -45) +
    pat("gut", 6, rect(0, 0, 6, 6, T.band) + rect(0, 0, 1.2, 6, T.gutHatch)) +
    pat("dot", d, rect(0, 0, d, d, T.fBg) + `<circle cx="${d * 0.3}" cy="${d * 0.3}" r="${proj ? 1.3 : 0.9}" fill="${ORANGE}"/>`, 0) +
    `</defs>${rect(0, 0, W, H, T.bg)}${out.join("")}</svg>`;
}
