// Drawing helpers for the SVG pictures: text and rectangles as strings, a
// width estimate that needs no DOM (the export runs in node too), the sizes
// of each theme, and the canvas each panel draws on (`Kit`).  Colours come
// from palette.js; what to draw comes from the panel models (panels/*.js).

import { MT_HEX, MIGRATETYPES, THEMES as COLOURS } from "../palette.js";

export const { max, min, floor, ceil, round, abs } = Math;
export const MONO = ` font-family="'JetBrains Mono', ui-monospace, monospace"`;
export const B = ' font-weight="700"';
export const SB = ' font-weight="600"';
export const MID = ' text-anchor="middle"';
export const END = ' text-anchor="end"';

const BASE = { fs: 12, fsS: 10.5, fsK: 18, fsT: 14, bh: 20, bfs: 11, gap: 4, sw: 1, pad: 16, barH: 44, hatch: 6, bar: 3,
  minCell: 9, comfy: 15, maxCell: 26, maxRows: 16, mapH: 14, pl: 1 };
// white ground, nothing lighter than #333, borders >= 2 px, text >= 15 px, hatch 1.5x (DESIGN.md)
const PROJECTOR = { fs: 15, fsS: 15, fsK: 25, fsT: 18, bh: 30, bfs: 15, gap: 6, sw: 2, pad: 14, barH: 56, hatch: 9, bar: 4,
  minCell: 12, comfy: 30, maxCell: 40, maxRows: 10, mapH: 32, pl: 2 };
export const THEMES = {
  light: { ...BASE, ...COLOURS.light },
  dark: { ...BASE, ...COLOURS.dark },
  projector: { ...BASE, ...PROJECTOR, ...COLOURS.projector },
};

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** XML-escape, dropping what XML 1.0 forbids (control characters, lone surrogates). */
export const esc = (s) => String(s ?? "")
  // eslint-disable-next-line no-control-regex
  .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
  .replace(/[&<>"']/g, (c) => ESC[c]);
// Locale-independent formatting keeps the output deterministic.
export const num = (n) => String(n ?? "—").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
export const ms1 = (t) => { const v = round((t ?? 0) * 10); return (v < 0 ? "-" : "") + num(floor(abs(v) / 10)) + "." + (abs(v) % 10); };
export const r = (x) => round(x * 100) / 100;
export const plural = (n, w) => `${num(n)} ${w}${n === 1 ? "" : "s"}`;
export const st = (c, w = 1) => ` stroke="${c}" stroke-width="${w}"`;
/** Estimated text width (no DOM); calibrated on DejaVu Sans, the wide fallback when Inter is missing. */
export function tw(s, fs, mono, bold) {
  if (mono) return [...String(s)].length * fs * 0.61;
  let w = 0;
  for (const ch of String(s)) w += /[A-Z0-9]/.test(ch) ? 0.69 : /[ il.,·:;|'!()[\]]/.test(ch) ? 0.32 : /[mwMW…]/.test(ch) ? 0.86 : 0.58;
  return w * fs * (bold ? 1.12 : 1);
}
/** Shorten s with "…" until its estimated width fits `room`. */
export function fit(s, fs, room, mono) {
  s = String(s);
  while (s.length > 1 && tw(s, fs, mono) > room) s = s.slice(0, -2) + "…";
  return s;
}
export const text = (x, y, s, fs, fill, a = "") => `<text x="${r(x)}" y="${r(y)}" font-size="${fs}" fill="${fill}"${a}>${esc(s)}</text>`;
export const rect = (x, y, w, h, fill, a = "") => `<rect x="${r(x)}" y="${r(y)}" width="${r(max(0, w))}" height="${r(max(0, h))}" fill="${fill}"${a}/>`;
export const halo = (c, w = 3) => (c ? ` stroke="${c}" stroke-width="${w}" stroke-linejoin="round" paint-order="stroke"` : "");

/** The picture being drawn: its theme, width, output, the store it shows and the panels' shared geometry. */
export class Kit {
  constructor(store, z, { theme, width, idPrefix }) {
    this.T = THEMES[theme];
    this.theme = theme;
    this.proj = theme === "projector";
    this.store = store;
    this.z = z;
    this.W = width;
    this.id = idPrefix;
    this.out = [];
    this.y = 0;
    this.X0 = this.T.pad;
    this.PW = width - 2 * this.T.pad; // panel width
    this.ip = this.T.pad * 0.75;
    this.anoms = (store.anomalies ?? []).filter((a) => a.zone === z.name);
    // a block chip fits the zone's longest pfn
    this.bw = ceil(max(this.T.bh * 1.5, String(max(0, z.end - 1)).length * this.T.bfs * 0.62 + this.T.bfs * 1.1));
  }

  o(...s) { this.out.push(...s); }
  url(name) { return `url(#${this.id}-${name})`; }
  panel(y, h) { this.o(rect(this.X0, y, this.PW, h, this.T.panel, st(this.T.line, this.T.pl) + ` rx="${this.proj ? 3 : 4}"`)); }

  swatch(x, y, s, mt) {
    return rect(x, y, s, s, mt === "Isolate" ? this.url("iso") : MT_HEX[MIGRATETYPES.indexOf(mt)] ?? this.T.ink3, st(this.T.ink, this.proj ? 1.5 : 1));
  }

  panelTitle(y, title, sub, sfs = this.T.fs) {
    const { T, X0, ip, PW } = this;
    this.o(text(X0 + ip, y, title, T.fsT + 1, T.ink, B));
    const sx = X0 + ip + tw(title, T.fsT + 1, false, true) + 12;
    if (sub) this.o(text(sx, y, fit(sub, sfs, X0 + PW - ip - sx), sfs, T.ink2));
  }

  /** Vertical separators every `step` px as one path (cheap for thousands of cells). */
  separators(x, yy, w, h, step, sw) {
    let d = "";
    for (let i = 1; i < round(w / step); i++) d += `M${r(x + i * step)} ${r(yy)}v${r(h)}`;
    return d ? `<path d="${d}"${st(this.T.panel, sw)}/>` : "";
  }

  /** The patterns (hatch, dots, ...) the panels name with url(). */
  defs() {
    const { T, proj, id } = this;
    const hs = T.hatch;
    const d = proj ? 7 : 5;
    const pat = (name, size, body, rot = 45) => `<pattern id="${id}-${name}" patternUnits="userSpaceOnUse" width="${size}" height="${size}"${rot ? ` patternTransform="rotate(${rot})"` : ""}>${body}</pattern>`;
    return pat("h", hs, rect(0, 0, hs, hs, T.hBg) + rect(0, 0, hs * 0.42, hs, "#009E73")) +
      pat("iso", 4, rect(0, 0, 4, 4, "#000000") + rect(0, 0, 1.6, 4, "#FFFFFF")) +
      pat("nr", d, rect(0, 0, proj ? 2.2 : 1.5, d, T.nonres, ' fill-opacity="0.85"'), -45) +
      pat("gut", 6, rect(0, 0, 6, 6, T.band) + rect(0, 0, 1.2, 6, T.gutHatch)) +
      pat("dot", d, rect(0, 0, d, d, T.fBg) + `<circle cx="${d * 0.3}" cy="${d * 0.3}" r="${proj ? 1.3 : 0.9}" fill="#E69F00"/>`, 0);
  }
}
