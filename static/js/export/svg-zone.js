// The SVG picture's top bar and zone header, drawn from the header's model
// (panels/zonehead.js), as the live header is.

import { INFLIGHT } from "../palette.js";
import { zoneHeadModel } from "../panels/zonehead.js";
import { terms } from "../terms.js";
import { B, END, MID, MONO, esc, fit, max, ms1, num, r, rect, st, text, tw } from "./svgkit.js";

const VERM = "#D55E00";

/** Title left; zone and virtual time right. */
export function drawTopBar(K, title) {
  const { T, W } = K;
  const { fs, fsK, fsT, pad } = T;
  const H = T.barH;
  const mid = H / 2 + fsT * 0.36;
  K.o(rect(0, 0, W, H, T.top));
  if (T.top === T.panel) K.o(`<path d="M0 ${H - 0.5}H${W}"${st(T.line)}/>`);
  K.o(text(pad, mid, "Hinting Lab", fsT + 2, T.topInk, B));
  const t = ms1(K.store.now_ms);
  let x = W - pad;
  K.o(text(x, mid, "ms", fs, T.topInk, END));
  x -= tw("ms", fs) + 6;
  K.o(text(x, mid, t, fsK, T.topInk, MONO + B + END + ' data-role="time"'));
  x -= tw(t, fsK, true) + 4;
  K.o(text(x, mid, "t", fs, T.topInk, END + ' font-style="italic"'));
  x -= tw("t", fs) + 18;
  K.o(text(x, mid, K.z.name, fsT, T.topInk, B + END));
  x -= tw(K.z.name, fsT, false, true) + 18;
  const tx = pad + tw("Hinting Lab", fsT + 2, false, true) + 20;
  if (title) {
    K.o(`<path d="M${r(tx - 9)} ${r(H * 0.28)}V${r(H * 0.72)}"${st(T.topInk)} stroke-opacity="0.6"/>`);
    K.o(text(tx, mid, fit(title, fs + 1, x - tx), fs + 1, T.topInk, ' data-role="title"'));
  }
  K.y = H;
}

/** Items flow left to right; the free-page count goes first when space is short. */
export function drawZoneHeader(K) {
  const { T, proj, W } = K;
  const { fs, fsS, fsK, ink, ink2, ink3, bar, pad } = T;
  const m = zoneHeadModel(K.store, K.z);
  const t = terms(K.store);
  const y0 = K.y + pad;
  const labH = fsS + 4;
  const kH = fsK;
  const items = [];
  const label = (x, yy, s) => text(x, yy + fsS, s, fsS, ink2, B + ' letter-spacing="0.6"');
  const range = `pfn ${m.start}–${m.last}`;
  items.push({ w: max(tw(m.name, kH + 3, false, true), tw(range, fsS, true)), draw: (x, yy) => [
    text(x, yy + kH + 2, m.name, kH + 3, ink, B), text(x, yy + kH + labH + 8, range, fsS, ink3, MONO)] });
  // lamps: lit = orange with a dark ring; unlit = hollow grey
  const rr = kH * 0.5;
  const lamps = [["requested", "REQUESTED", m.requested], ["active", "ACTIVE", m.active]]
    .map(([key, s, lit]) => ({ key, s, lit, w: rr * 2 + 8 + tw(s, fs + 2, false, true) }));
  items.push({ w: lamps[0].w + lamps[1].w + 18, draw: (x, yy) => lamps.flatMap((l) => {
    const cy = yy + (kH + labH + 8) / 2;
    const res = [`<g data-lamp="${l.key}" data-lit="${l.lit}"><circle cx="${r(x + rr)}" cy="${r(cy)}" r="${r(rr)}" fill="${l.lit ? INFLIGHT : "none"}"${st(l.lit ? ink : ink3, l.lit ? 2.5 : 2)}/>`,
      text(x + rr * 2 + 8, cy + (fs + 2) * 0.36, l.s, fs + 2, l.lit ? ink : ink3, B + ' letter-spacing="0.5"'), "</g>"];
    x += l.w + 18;
    return res;
  }) });
  const kv = (lab, value, vfs, role, extra = {}) => items.push({ opt: extra.opt,
    w: max(tw(lab, fsS, false, true) + lab.length * 0.6, tw(value, vfs, true, true) + (extra.w ?? 0)),
    draw: (x, yy) => [label(x, yy, lab), text(x, yy + labH + vfs, value, vfs, ink, MONO + B + ` data-role="${role}"`), ...(extra.after?.(x, yy + labH + vfs) ?? [])] });
  if (m.deviceFlags) kv("STATE", m.state ?? "–", kH, "state"); // reporting: prdev->state, no refcnt
  else kv("REFCNT", num(m.refcnt), kH, "refcnt");
  // WORK: words, and under them the phase strip (fill › react › drain) with a bar where the work stopped
  const phase = m.work.phase;
  const words = m.enabled || m.work.key === "idle" ? m.work.words : `${m.work.words} · hinting off`;
  {
    const vfs = fs + (proj ? 5 : 3);
    const steps = t.phases;
    const cw = steps.map((s) => tw(s, fsS, true) + 10);
    const zs = phase !== "idle" && m.work.zone ? `zone ${m.work.zone}` : "";
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
    let value = "—", sub = "", frac = null;
    if (m.due.kind === "pending") {
      value = `in ${ms1(m.due.left).replace(/\.0$/, "")} ms`;
      sub = `@ ${ms1(m.due.at)}`;
      frac = 1 - m.due.remaining;
    } else if (m.due.kind === "running") {
      value = "— running";
      if (m.due.at !== null && m.due.at !== undefined) sub = `next @ ${ms1(m.due.at)}`;
    }
    const vfs = proj ? fsK - 4 : fs + 3;
    kv("DUE", value, vfs, "due", { w: sub ? tw(sub, fsS, true) + 6 : 0, after: (x, by) => {
      const vw = tw(value, vfs, true, true);
      const bwid = max(vw, 80);
      return [sub ? text(x + vw + 6, by, sub, fsS, ink3, MONO) : "",
        frac === null ? "" : rect(x, by + 5, bwid, 6, T.panel, st(ink, 1.2) + ' rx="3"') + rect(x, by + 5, bwid * frac, 6, ink, ' rx="3"')];
    } });
  }
  kv(`FREE · ${t.marked.toUpperCase()}`, `${num(m.free)} · ${num(m.hinted)} pg`, proj ? fsK - 2 : fs + 4, "free", { opt: true });
  // config: three short lines, so the header stays one row on a 1280 px slide
  const parts = t.cfg.map((k) => [k, m.cfg[k]]).filter((p) => p[1] !== undefined && p[1] !== null);
  if (parts.length) {
    const lw = max(...parts.map((p) => tw(p[0], fsS, true))) + 6;
    items.push({ w: lw + max(...parts.map((p) => tw(num(p[1]), fsS + 1, true))), draw: (x, yy) => parts.flatMap((p, i) => {
      const ly = yy + fsS + i * (fsS + (proj ? 6 : 5)) + (proj ? 4 : 3);
      return [text(x, ly, p[0], fsS, ink3, MONO), text(x + lw, ly, num(p[1]), fsS + 1, ink, MONO + B + ` data-role="${p[0]}"`)];
    }) });
  }
  const nAnom = K.anoms.length;
  if (nAnom) {
    const s = `▲ ${num(nAnom)} anomal${nAnom === 1 ? "y" : "ies"}`;
    const w = tw(s, fs + 1, false, true) + 20;
    const abh = fs + 14;
    items.push({ w, draw: (x, yy) => [`<g data-role="anomalies" data-count="${nAnom}">`, rect(x, yy + labH - 4, w, abh, T.anomBg, st(VERM, 1.5) + ' rx="4"'),
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
  K.panel(y0, h);
  K.o('<g data-role="header">');
  rows.forEach((row, i) => { for (const [ix, it] of row) K.o(...it.draw(2 * pad + ix, y0 + pad * 0.7 + i * (rowH + pad * 0.5))); });
  K.o("</g>");
  K.y = y0 + h;
}
