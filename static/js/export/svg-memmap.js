// The SVG picture's physical memory map: whole pageblocks per row, a
// pageblock stripe under each row; big zones aggregate pages per cell (the
// most common state wins).  It reads the store's per-page codes, the same
// array the live map (views/memmap.js) draws from.

import { MIGRATETYPES, MT_HEX } from "../palette.js";
import { PAGE_ALLOC, PAGE_FREE, PAGE_HINTED, PAGE_INFLIGHT } from "../store.js";
import { terms } from "../terms.js";
import { END, MONO, SB, ceil, floor, halo, max, min, num, rect, st, text, tw } from "./svgkit.js";

// store code -> this picture's: 0 free, 1 Hinted, 2 in flight, 3 + migratetype allocated
const CODE = [];
CODE[PAGE_FREE] = 0;
CODE[PAGE_HINTED] = 1;
CODE[PAGE_INFLIGHT] = 2;
for (let i = 0; i < MIGRATETYPES.length; i++) CODE[PAGE_ALLOC + i] = 3 + i;

export function drawMemMap(K) {
  const { T, proj, X0, PW, ip, z, store } = K;
  const { fs, fsS, fsT, ink, ink2, ink3, pad } = T;
    const y0 = K.y + pad * 0.75;
    const pages = z.pages;
    const pb = 2 ** store.config.pageblock_order;
    const labW = tw(String(z.end - 1), fsS, true) + 12;
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
    // the store's page codes (store.js), as 0 free, 1 Hinted, 2 in flight, 3 + migratetype allocated
    const code = z.page.map((c) => CODE[c] ?? 0);
    const nonres = z.nonres;
    const cc = new Uint8Array(cells);
    const cn = new Uint8Array(cells);
    const cpb = new Uint8Array(cells);
    const rank = [1, 3, 4, 2, 2, 2, 2, 2]; // ties: in flight, Hinted, allocated, free
    const pbs = z.pageblocks;
    const pbIdx = (q) => max(0, MIGRATETYPES.indexOf(pbs[q] ?? "Movable"));
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
    K.panel(y0, h);
    const ty = y0 + ip + fsT;
    K.panelTitle(ty, "physical memory", `${num(pages)} pages · ${ppc === 1 ? "1 cell = 1 page" : `1 cell = ${num(ppc)} pages (most of them)`} · ${num(cols * ppc)} pfn a row · stripe = pageblock (${num(pb)} pages)`, proj ? fsS : fs);
    const mx = X0 + ip + labW;
    const my = ty + 12;
    const fillOf = (k) => [T.mapFree, K.url("h"), K.url("dot"), MT_HEX[0], MT_HEX[1], MT_HEX[2], MT_HEX[3], K.url("iso")][k];
    K.o(`<g data-role="map" data-pages-per-cell="${ppc}" data-cols="${cols}" data-rows="${nrows}">`);
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
      K.o(text(mx - 6, yy + ch / 2 + fsS * 0.36, z.start + c0 * ppc, fsS, ink3, MONO + END));
      runs(c0, c1, (e, c) => cc[e] === cc[c], (c, e) => {
        const k = cc[c];
        seen.add(k);
        K.o(rect(X(c), yy, (e - c) * cw, ch, fillOf(k), k === 1 ? st(T.hLine) : k === 2 ? st(T.fLine) + ' stroke-dasharray="3 2"' : ""));
      });
      // Hinted implies not resident; the overlay marks the other cases (a batch after react, a wasted hint).
      const nr = (c) => cn[c] && cc[c] !== 1;
      runs(c0, c1, (e, c) => nr(e) === nr(c), (c, e) => {
        if (!nr(c)) return;
        seen.add("nr");
        K.o(rect(X(c), yy, (e - c) * cw, ch, K.url("nr"), ' data-role="nonresident"'));
      });
      runs(c0, c1, (e, c) => cpb[e] === cpb[c], (c, e) => {
        seen.add(`pb${cpb[c]}`);
        K.o(rect(X(c), yy + ch + 1.5, (e - c) * cw, stripe, cpb[c] === 4 ? K.url("iso") : MT_HEX[cpb[c]]));
      });
      const rw = (c1 - c0) * cw;
      if (cw >= 8 && ppc < pb) K.o(K.separators(mx, yy, rw, ch, cw, cw >= 14 ? 1 : 0.6));
      if (pbCells > 1 && pbCells * cw >= 24) K.o(K.separators(mx, yy, rw, ch + stripe + 1.5, pbCells * cw, proj ? 3 : 2));
      if (ppc === 1 && pbCells * cw >= tw(String(z.end - 1), fsS, true) + 8) { // pfn of each pageblock, when it fits
        for (let c = c0; c < c1; c += pbCells) {
          const k = cc[c];
          const hl = k === 1 ? T.halo : k === 2 ? T.fBg : cn[c] ? T.panel : "";
          const fill = hl || k === 0 ? ink : k === 3 || k === 4 || k === 7 ? "#FFFFFF" : "#1B1D1F";
          K.o(text(X(c) + 4, yy + ch / 2 + fsS * 0.36, z.start + c, fsS, fill, MONO + SB + halo(hl)));
        }
      }
    }
    K.o("</g>");
    const ly = my + nrows * rowH + legendH * 0.6;
    const sw = fsS + 1;
    let lx = X0 + ip;
    K.o('<g data-role="map-legend">');
    const item = (fill, s, stroke = ink3) => {
      const lw = tw(s, fsS) + sw + 22;
      if (lx + lw > X0 + PW - ip) return;
      K.o(rect(lx, ly - sw + 2, sw, sw, fill, st(stroke)), text(lx + sw + 5, ly, s, fsS, ink2));
      lx += lw;
    };
    for (let k = 3; k < 8; k++) if (seen.has(k)) item(fillOf(k), `allocated ${MIGRATETYPES[k - 3]}`);
    item(T.mapFree, "free");
    if (seen.has(1)) item(K.url("h"), `free, ${terms(K.store).marked} · not resident`, T.hLine);
    if (seen.has(2)) item(K.url("dot"), "in flight", T.fLine);
    if (seen.has("nr")) item(K.url("nr"), "not resident on host");
    if (seen.has("pb3")) item(MT_HEX[3], "pageblock HighAtomic");
    if (seen.has("pb4")) item(K.url("iso"), "pageblock Isolate");
    K.o("</g>");
    K.y = y0 + h;
  }
