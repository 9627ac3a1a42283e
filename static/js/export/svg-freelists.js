// The SVG picture's free-area grid: rows max_order-1 .. 0, columns
// migratetypes, each cell a free list head -> tail.  What each cell shows
// (elision, the boundary marker and its kind, staleness, anomaly rings) comes
// from panels/freelists.js, as in the live grid.

import { cellModel, columnsOf, markerLabel, rowsOf, walkOf } from "../panels/freelists.js";
import { terms } from "../terms.js";
import { B, END, MID, MONO, SB, ceil, fit, max, min, num, plural, r, rect, st, text, tw, halo } from "./svgkit.js";

const VERM = "#D55E00";

export function drawFreeLists(K) {
  const { T, proj, X0, PW, ip, z, store, bw } = K;
  const { fs, fsS, fsT, ink, ink2, ink3, bar, bh, pad } = T;
  const y0 = K.y + pad * 0.75;
  const maxOrder = store.config.max_order;
  const minOrder = store.config.hinting?.min_order ?? store.config.pageblock_order ?? 0;
  const t = terms(store);
  const gutLabel = `nr_free · ${t.marked}`;
  const gutW = max(proj ? 130 : 104, tw(gutLabel, fsS) + 10);
  const walkW = tw("next ▸", fsS, false, true) + 14; // reporting's walk chip, and its gap
  const cpad = 6;
  const mw = bar + 2 * T.gap + 2; // room for a boundary marker
  const bstep = bw + T.gap;
  const eText = (n, narrow) => (narrow ? `…${num(n)}…` : `… ${num(n)} more …`);
  const ew = (n, narrow) => tw(eText(n, narrow), fsS) + 12;
  const cols = [];
  let hidden = 0;
  for (const c of columnsOf(store, z)) {
    if (proj && c.empty) { hidden++; continue; }
    const n = c.longest;
    const head = cpad + fs * 0.85 + 12 + max(tw(c.mt, fs, false, true), tw(plural(c.pageblocks, "pageblock"), fsS));
    const full = max(head, 2 * cpad + n * bstep + mw + (proj ? 8 : 4));
    const anchors = min(n, 4) * bstep + (n > 4 ? 2 * (ew(n, false) + T.gap) : 0);
    cols.push({ mt: c.mt, pb: c.pageblocks, head, full, min: max(head, min(full, 2 * cpad + anchors + mw)),
      weight: c.mt === "Movable" ? 5 : n ? 1.5 : 0.4 });
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
  K.panel(y0, h);
  const ty = y0 + ip + fsT;
  const hid = hidden ? ` · ${plural(hidden, "empty migratetype")} hidden` : "";
  const sub = proj ? `head → tail${hid}` : `free_area[order].free_list[migratetype] · head → tail · block = pfn${hid}`;
  const conf = `MAX_ORDER ${maxOrder} · pageblock_order ${store.config.pageblock_order}`;
  K.panelTitle(ty, "free lists", sub);
  if (X0 + ip + tw("free lists", fsT + 1, false, true) + 12 + tw(sub, fs) + tw(conf, fsS, true) + 30 < X0 + PW) K.o(text(X0 + PW - ip, ty, conf, fsS, ink3, MONO + END));
  const gx = X0 + ip;
  const cy = ty + 10;
  K.o(text(gx, cy + fs, "order", fs, ink, SB), text(gx, cy + fs + fsS + 3, gutLabel, fsS, ink3));
  let cx = gx + gutW;
  for (const c of cols) {
    const sw = fs * 0.85;
    const room = c.w - cpad - sw - 9; // squeezed columns get shortened headings
    c.x = cx;
    K.o(`<g data-role="colhead" data-mt="${c.mt}">`, K.swatch(cx + cpad, cy + fs - sw + 1, sw, c.mt), text(cx + cpad + sw + 5, cy + fs, fit(c.mt, fs * 1.12, room), fs, ink, SB),
      text(cx + cpad + sw + 5, cy + fs + fsS + 3, fit(plural(c.pb, "pageblock"), fsS, room), fsS, ink3), "</g>",
      `<clipPath id="${K.id}-c${c.mt}">${rect(cx, y0, c.w, h, "#000")}</clipPath>`);
    cx += c.w;
  }
  const gy = cy + colH;
  const gridR = cx;
  const g = { cpad, mw, ew, eText, flagH, anyDim: false, gutW, walkW };
  rowsOf(store, z).forEach((row, i) => {
    const ord = row.order;
    const ry = gy + i * rh;
    const hb = halo(row.below && T.band); // keeps gutter text readable over the hatch
    K.o(`<g data-role="row" data-order="${ord}"${row.below ? ' data-below="true"' : ""}>`);
    if (row.below) K.o(rect(gx + gutW, ry, gridR - gx - gutW, rh, T.band), rect(gx - 4, ry, gutW + 4, rh, K.url("gut")));
    K.o(`<path d="M${r(gx - 4)} ${r(ry + rh)}H${r(gridR)}"${st(T.line, proj ? 1.5 : 1)}/>`);
    const l1 = ry + rh * 0.42;
    const l2 = ry + rh * 0.84;
    const nfx = gx + tw(num(row.nrFree), fs, true) + 8;
    K.o(text(gx, l1, `o${ord}`, fs + 3, ink, MONO + B + hb), text(gx + tw(`o${ord}`, fs + 3, true) + 8, l1, `${num(row.pages)} pg`, fsS, ink3, hb),
      text(gx, l2, num(row.nrFree), fs, ink, MONO + hb + ' data-role="nr_free"'));
    if (row.below) K.o(text(nfx, l2, `not ${t.marked.toLowerCase()}`, fsS, ink3, ' font-style="italic"' + hb));
    else {
      K.o(rect(nfx, l2 - fsS + 1, fsS, fsS, K.url("h"), st(T.hLine)), // null until the zone's first cycle: "–", not 0
        text(nfx + fsS + 4, l2, row.hintedKnown ? num(row.hinted) : "–", fs, T.hText, MONO + B + ' data-role="hinted_pages"'));
    }
    for (const c of cols) {
      if (c.x > gx + gutW) K.o(`<path d="M${r(c.x)} ${r(ry)}V${r(ry + rh)}"${st(T.line)}/>`);
      drawCell(K, c, ord, ry, rh, g);
    }
    K.o("</g>");
  });
  if (minOrder > 0 && minOrder < maxOrder) {
    const dy = gy + (maxOrder - minOrder) * rh;
    const s = `min_order ${minOrder}`;
    const lw = tw(s, fsS, true) + 10;
    K.o(`<g data-role="min-order"><path d="M${r(gx - 4)} ${r(dy)}H${r(gridR)}"${st(ink, proj ? 2 : 1.3)} stroke-dasharray="6 4"/>`,
      rect(gridR - lw - 2, dy - (fsS + 6) / 2, lw, fsS + 6, ink2, ' rx="3"'), text(gridR - lw / 2 - 2, dy + fsS * 0.36, s, fsS, T.panel, MONO + MID), "</g>");
  }
  // legend
  const ly = gy + maxOrder * rh + legendH * 0.7;
  const sw = fsS + 2;
  let lx = gx;
  K.o('<g data-role="legend">');
  const item = (draw, s, iw = sw * 1.6) => {
    if (lx + iw + 6 + tw(s, fsS) > X0 + PW) return;
    K.o(draw(lx, ly - sw + 2), text(lx + iw + 6, ly, s, fsS, ink2));
    lx += iw + 24 + tw(s, fsS);
  };
  item((x, yy) => rect(x, yy, sw * 1.6, sw, T.blk, st(T.blkLine) + ' rx="2"'), "free block");
  item((x, yy) => rect(x, yy, sw * 1.6, sw, K.url("h"), st(T.hLine, 1.5) + ' rx="2"'), `free, ${t.marked}`);
  if (t.boundaries) {
    item((x, yy) => rect(x + sw * 0.8, yy - 3, bar, sw + 6, ink), "boundary → block on its right");
    item((x, yy) => hook(K, x + sw * 0.8, yy - 3, sw + 6, ink, false), "boundary → list head");
  } else if (g.anyWalk) {
    const iw = tw("next ▸", fsS - 1, false, true) + 10;
    item((x, yy) => walkChip(K, x, yy - 3, iw, sw + 6, fsS - 1), "the walk position: the next cycle isolates this block first", iw);
  }
  if (g.anyDim) item((x, yy) => rect(x + sw * 0.8, yy - 3, bar, sw + 6, ink3) + dashCut(K, x + sw * 0.8, yy - 3, sw + 6), "dashed, grey: ACTIVE is off");
  if (g.anyStale) item((x, yy) => staleBar(K, x + sw * 0.8, yy - 3, sw + 6), "stale: its block left the list (harmless)");
  if (K.anoms.length) item((x, yy) => rect(x, yy, sw * 1.6, sw, "none", st(VERM, 1.5) + ' stroke-dasharray="3 2"') + text(x + sw * 0.8, yy + sw - 2, "▲", sw - 3, VERM, MID), "anomaly");
  K.o("</g>");
  K.y = y0 + h;
  return ceil(h);
}

/** Reporting's walk position: a small ink-framed chip "next ▸" before the block the next cycle isolates first. */
function walkChip(K, x, yy, w, h, size) {
  return rect(x, yy, w, h, K.T.panel, st(K.T.ink, 1.5) + ' rx="3"') + text(x + w / 2, yy + h / 2 + size * 0.36, "next ▸", size, K.T.ink, B + MID);
}

/** Gaps cut across a boundary bar in the panel colour: the dashed look of a marker while ACTIVE is off. */
function dashCut(K, x, yy, h) {
  const { bar } = K.T;
  return `<path d="M${r(x + bar / 2)} ${r(yy + 4)}v${r(h - 4)}"${st(K.T.panel, bar + 1)} stroke-dasharray="2.5 3.5"/>`;
}

/** A boundary bar with a hook at the top pointing back into the row: it points at the list head. */
function hook(K, x, yy, h, fill, dim) {
  const { bar } = K.T;
  const k = K.proj ? 9 : 7;
  return `<path d="M${r(x)} ${r(yy)}h${bar}v${r(h)}h${-bar}zM${r(x - k)} ${r(yy)}h${k}v${bar}h${-k}z" fill="${fill}"/>` + (dim ? dashCut(K, x, yy, h) : "");
}

/** A stale marker: a broken grey bar with end caps (shape, not only colour; not the anomaly colour: harmless). */
function staleBar(K, x, yy, h) {
  const { bar, ink3 } = K.T;
  return `<path d="M${r(x + bar / 2)} ${r(yy)}v${r(h)}"${st(ink3, bar + 1)} stroke-dasharray="5 3"/>` +
    rect(x - 3, yy, bar + 6, 2.5, ink3) + rect(x - 3, yy + h - 2.5, bar + 6, 2.5, ink3);
}

/** One free list, head to tail, with its boundary marker (and anomaly outline). */
function drawCell(K, c, ord, ry, rh, g) {
  const { T, z, store, bw } = K;
  const { fs, fsS, ink, ink2, ink3, bar, bh } = T;
  const { mt, x, w } = c;
  const bstep = bw + T.gap;
  const b = store.boundary(ord, mt);
  const mine = b && b.zone === z.name;
  const staleW = mine && b.stale ? tw(`stale → ${b.pfn}`, fsS) + fsS : 0;
  const walkW = !b && walkOf(store, z.name, ord, mt) ? g.walkW : 0;
  const room = w - 2 * g.cpad - (mine ? g.mw : 0) - staleW - walkW;
  const list = z.lists.get(`${ord}/${mt}`) ?? [];
  const narrow = room / bstep < 6;
  const m = cellModel(store, z, ord, mt, { budget: (room + T.gap) / bstep, elidedCost: (g.ew(list.length, narrow) + T.gap) / bstep });
  const by = ry + g.flagH + 2;
  const mk = m.marker;
  const dim = mk ? !mk.active : false;
  if (mk && dim) g.anyDim = true;
  if (mk?.kind === "stale") g.anyStale = true;
  const marker = (mx) => {
    const top = ry + g.flagH - 4;
    const hgt = bh + 9;
    const bInk = dim ? ink3 : ink;
    let s = `<g data-role="boundary" data-kind="${mk.kind}" data-target="${mk.target}" data-index="${mk.index}" data-active="${mk.active}"` +
      `${mk.kind === "stale" ? ' data-stale="true"' : ""}>`;
    if (mk.kind === "head") s += hook(K, mx, top, hgt, bInk, dim) + text(mx + bar, ry + g.flagH - 6, "head", fsS, ink2, END + SB);
    else if (mk.kind === "empty") s += rect(mx, by + bh * 0.2, bar, bh * 0.6, ink3);
    else if (mk.kind === "stale") s += staleBar(K, mx, top, hgt) + text(mx - 2, ry + g.flagH - 6, markerLabel(mk), fsS, ink2, B);
    else {
      s += rect(mx, top, bar, hgt, bInk) + text(mx, ry + g.flagH - 6, "boundary", fsS, ink, B);
      if (dim) s += dashCut(K, mx, top, hgt); // ACTIVE off: dashes, not only the lighter ink
    }
    return s + "</g>";
  };
  const dash = (x1) => text(x1 + 4, by + bh / 2 + fs * 0.36, "—", fs, ink3);
  K.o(`<g data-role="list" data-order="${ord}" data-mt="${mt}" data-count="${m.n}" clip-path="${K.url(`c${mt}`)}">`);
  if (m.anomaly) K.o(rect(x + 2, ry + 2, w - 4, rh - 4, VERM, st(VERM, 1.5) + ' fill-opacity="0.08" stroke-dasharray="5 3" data-role="anomaly"'), text(x + w - 5, ry + fsS + 2, "▲", fsS, VERM, END));
  let bx = x + g.cpad;
  for (const s of m.segs) {
    if (s.kind === "block") {
      if (mk?.kind === "block" && s.index === mk.index) { K.o(marker(bx + 1)); bx += g.mw; }
      if (mk?.kind === "walk" && s.index === mk.index) {
        K.o(`<g data-role="walk" data-target="${mk.target}">`, walkChip(K, bx, by + 1, g.walkW - 6, bh - 2, fsS), "</g>");
        bx += g.walkW;
        g.anyWalk = true;
      }
      const h = s.hinted;
      K.o(`<g data-role="block" data-pfn="${s.pfn}" data-order="${ord}" data-mt="${mt}" data-index="${s.index}" data-hinted="${h}">`,
        rect(bx, by, bw, bh, h ? K.url("h") : T.blk, st(h ? T.hLine : T.blkLine, h ? T.sw + 0.5 : T.sw) + ' rx="2"'),
        text(bx + bw / 2, by + bh / 2 + T.bfs * 0.36, s.pfn, T.bfs, ink, MONO + MID + (h ? B + halo(T.halo) : "")),
        m.ring.has(s.pfn) ? rect(bx - 3, by - 3, bw + 6, bh + 6, "none", st(VERM, 2) + ' rx="4" data-role="anomaly-ring"') : "", "</g>");
      bx += bstep;
    } else {
      const e = g.ew(m.n, narrow);
      K.o(`<g data-role="elided" data-start="${s.start}" data-count="${s.count}" data-hinted="${s.hinted}">`,
        rect(bx, by, e, bh, T.chip, st(T.line) + ' rx="2" stroke-dasharray="2 2"'),
        text(bx + e / 2, by + bh / 2 + fsS * 0.36, g.eText(s.count, narrow), fsS, ink2, MID),
        s.hinted ? rect(bx + e - 7, by + 2, 5, 5, "#009E73", st(T.hLine, 0.8)) : "", "</g>");
      bx += e + T.gap;
    }
  }
  if (m.n === 0) {
    if (mk?.kind === "empty") { K.o(marker(bx + 1)); bx += g.mw; }
    K.o(dash(bx));
    if (mk?.kind === "stale") bx += fs + 8;
  }
  if (mk?.kind === "head" || mk?.kind === "stale") K.o(marker(bx + 1 + (mk.kind === "stale" ? 4 : 0)));
  K.o("</g>");
}
