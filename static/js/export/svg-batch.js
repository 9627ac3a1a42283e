// The SVG picture's batch lane: blocks pulled by page_hinting_fill, in
// scatterlist order, on no list (panels/batch.js says what is in flight).

import { MT_SHORT } from "../palette.js";
import { batchModel } from "../panels/batch.js";
import { terms } from "../terms.js";
import { MID, MONO, SB, esc, fit, halo, max, min, num, plural, r, rect, st, text, tw } from "./svgkit.js";

/** Rows a full batch (capacity blocks, the widest labels) takes at this width: an animation reserves them. */
export function batchRows(K) {
  const cap = K.store.config.hinting.capacity;
  const widest = { pfn: K.z.end - 1, order: K.store.config.max_order - 1, migratetype: "Movable" };
  const all = Array.from({ length: cap }, (_, sg) => ({ ...widest, sg }));
  return layout(K, { all, mine: all }).rows;
}

function layout(K, m) {
  const { T, PW, ip, proj } = K;
  const { fs, fsS } = T;
  const hostW = max(tw(`host · ${terms(K.store).host}`, fs, false, true), tw("called: not resident", fsS)) + 20;
  const laneW = PW - 2 * ip - hostW - 50 - (proj ? 0 : min(300, PW * 0.28));
  const placed = [];
  let bx = 0, row = 0, more = 0;
  for (let i = 0; i < m.mine.length; i++) {
    const w = tw(label(m.mine[i]), fs, true) + fs * 0.7 + 26;
    if (bx > 0 && bx + w > laneW) { row++; bx = 0; }
    if (row >= 3) { more = m.mine.length - i; break; } // three rows at most, the rest counted
    placed.push({ b: m.mine[i], x: bx, row, w });
    bx += w + 10;
  }
  return { placed, more, hostW, rows: m.all.length ? min(row + 1, 3) : 0 };
}

const label = (b) => `${b.pfn} · o${b.order} · ${MT_SHORT[b.migratetype] ?? "?"}`;

/**
 * `reserve` (rows): draw the lane even when empty, at least that tall, so that
 * the frames of an animation keep one layout.
 */
export function drawBatch(K, reserve = 0) {
  const m = batchModel(K.store, K.z);
  if (!m.all.length && !reserve) return;
  const t = terms(K.store);
  const { T, proj, X0, PW, ip } = K;
  const { fs, fsS, fsT, ink, ink2, ink3, bh, pad } = T;
  const { placed, more, hostW, rows } = layout(K, m);
  const y0 = K.y + pad * 0.75;
  const boxH = bh + 6;
  const sgH = fsS + 4;
  const lineH = sgH + boxH + 8;
  const h = ip + fsT + 12 + max(rows, reserve, 1) * lineH + (more ? fsS + 8 : 0) + ip * 0.5;
  K.panel(y0, h);
  const ty = y0 + ip + fsT;
  K.o(`<g data-role="batch" data-count="${m.mine.length}" data-phase="${esc(m.phase)}">`);
  K.panelTitle(ty, "batch", m.mine.length
    ? `${t.fill} → scatterlist, in flight to the host · ${m.mine.length}${m.cap ? ` / ${m.cap}` : ""} blocks · ${num(m.pages)} pages`
    : m.other ? `in flight: ${plural(m.all.length, "block")} of zone ${m.zone ?? "?"}, none of this zone`
      : `none in flight: ${t.pulls}`);
  const ly = ty + 12;
  const sw = fs * 0.7;
  for (const p of placed) {
    const x = X0 + ip + p.x;
    const yy = ly + p.row * lineH;
    K.o(`<g data-role="inflight" data-pfn="${p.b.pfn}" data-sg="${p.b.sg}" data-order="${p.b.order}">`, text(x, yy + fsS, `sg[${p.b.sg}]`, fsS, ink3, MONO),
      rect(x, yy + sgH, p.w, boxH, K.url("dot"), st(T.fLine, proj ? 2 : 1.5) + ' rx="3" stroke-dasharray="4 3"'),
      text(x + 7, yy + sgH + boxH / 2 + fs * 0.36, label(p.b), fs, ink, MONO + SB + halo(T.fBg)),
      K.swatch(x + p.w - sw - 6, yy + sgH + (boxH - sw) / 2, sw, p.b.migratetype), "</g>");
  }
  if (more) K.o(text(X0 + ip, ly + 3 * lineH + fsS, `… ${num(more)} more in flight …`, fsS, ink2, ` data-role="inflight-more" data-count="${more}"`));
  if (m.all.length) {
    const ax = X0 + ip + max(0, ...placed.filter((p) => p.row === 0).map((p) => p.x + p.w)) + 12;
    const ay = ly + sgH + boxH / 2;
    const hx = ax + 40;
    K.o(`<path d="M${r(ax)} ${r(ay)}H${r(hx - 6)}"${st(ink2, 1.5)} stroke-dasharray="2 3"/><path d="M${r(hx - 7)} ${r(ay - 4)}l6 4l-6 4z" fill="${ink2}"/>`,
      rect(hx, ay - boxH * 0.75, hostW, boxH * 1.5, T.panel, st(ink, proj ? 2 : 1.2) + ' rx="4"'),
      text(hx + hostW / 2, ay - 2, `host · ${t.host}`, fs, ink, SB + MID),
      text(hx + hostW / 2, ay + fsS + 2, m.reacted ? "called: not resident" : "not yet called", fsS, ink3, MID));
    const nx = hx + hostW + 16;
    if (!proj && m.next && nx + 120 < X0 + PW) {
      // the model's sentence, in three lines of the room left
      const words = `next step: ${m.next.step}. ${m.next.text}`.split(" ");
      const lines = [""];
      const room = X0 + PW - ip - nx;
      for (const w of words) {
        const t = lines.at(-1) ? `${lines.at(-1)} ${w}` : w;
        if (tw(t, fsS) > room && lines.at(-1)) lines.push(w); else lines[lines.length - 1] = t;
      }
      lines.slice(0, 3).forEach((s, i) => K.o(text(nx, ay - fsS + i * (fsS + 3), fit(s, fsS, room), fsS, ink2)));
    }
  }
  K.o("</g>");
  K.y = y0 + h;
}
