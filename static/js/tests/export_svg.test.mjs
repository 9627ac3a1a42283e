// svg.js on real hinting-state/1 documents (fixtures/state-*.json, from
// `python -m core replay`): the picture must be well-formed XML and draw every
// free block, the boundary markers where the state says, the batch and the map.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { renderStateSvg, elide } from "../export/svg.js";

const here = dirname(fileURLToPath(import.meta.url));
const load = (name) => JSON.parse(readFileSync(join(here, "fixtures", name), "utf8"));
const FIXTURES = ["state-boundary-mid-batch.json", "state-active-off.json", "state-two-zones-drain.json", "state-stale-boundary.json", "state-hinted-not-at-tail.json"];
const MTS = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"];

/** A strict little XML parser (elements, attributes, text): enough to check well-formedness and query. */
function parseXml(s) {
  const ENT = /&(?!(amp|lt|gt|quot|#39|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const tag = /<(\/)?([A-Za-z][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/)?>/y;
  const root = { name: "#doc", attrs: {}, children: [] };
  const stack = [root];
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf("<", i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    assert.doesNotMatch(text, ENT, `bare & in text near ${i}`);
    if (text.trim()) {
      assert.ok(stack.length > 1, "text outside the root");
      stack.at(-1).children.push({ text });
    }
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(s);
    assert.ok(m, `malformed tag at ${lt}: ${s.slice(lt, lt + 80)}`);
    if (m[1]) {
      assert.equal(stack.pop().name, m[2], `mismatched </${m[2]}>`);
    } else {
      const attrs = {};
      for (const [, k, v] of m[3].matchAll(/([\w.:-]+)="([^"]*)"/g)) {
        assert.ok(!(k in attrs), `duplicate attribute ${k}`);
        assert.doesNotMatch(v, ENT, `bare & in attribute ${k}`);
        attrs[k] = v;
      }
      const el = { name: m[2], attrs, children: [] };
      stack.at(-1).children.push(el);
      if (!m[4]) stack.push(el);
    }
    i = tag.lastIndex;
  }
  assert.equal(stack.length, 1, "unclosed elements");
  assert.equal(root.children.filter((c) => c.name).length, 1, "one root element");
  return root.children.find((c) => c.name);
}
const all = (el, pred, out = []) => {
  for (const c of el.children ?? []) {
    if (!c.name) continue;
    if (pred(c)) out.push(c);
    all(c, pred, out);
  }
  return out;
};
const role = (el, r) => all(el, (c) => c.attrs["data-role"] === r);
const textOf = (el) => (el.children ?? []).map((c) => (c.text !== undefined ? c.text : textOf(c))).join("");

function listsOf(svg) {
  const out = new Map();
  for (const l of role(svg, "list")) out.set(`${l.attrs["data-order"]}/${l.attrs["data-mt"]}`, l);
  return out;
}

test("every fixture, zone and theme renders well-formed, deterministic SVG", () => {
  for (const f of FIXTURES) {
    const st = load(f);
    for (const z of st.zones) {
      for (const theme of ["light", "dark", "projector"]) {
        const s = renderStateSvg(st, { zone: z.name, theme, width: 1280 });
        assert.ok(s.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), "standalone SVG with xmlns");
        const svg = parseXml(s);
        assert.equal(svg.name, "svg");
        assert.equal(svg.attrs["data-zone"], z.name);
        assert.ok(+svg.attrs.height > 300 && svg.attrs.width === "1280");
        assert.equal(s, renderStateSvg(st, { zone: z.name, theme, width: 1280 }), "same state, same options, same string");
      }
    }
  }
});

test("one block per free block, head to tail, Hinted ones filled with the hatch", () => {
  for (const f of FIXTURES) {
    const st = load(f);
    for (const z of st.zones) {
      const svg = parseXml(renderStateSvg(st, { zone: z.name }));
      const lists = listsOf(svg);
      const hinted = new Set(z.hinted);
      let blocks = 0;
      for (const fa of z.free_area) {
        for (const mt of MTS) {
          const list = fa.free_list[mt];
          const el = lists.get(`${fa.order}/${mt}`);
          assert.ok(el, `list ${fa.order}/${mt} drawn`);
          assert.equal(+el.attrs["data-count"], list.length);
          const bl = role(el, "block");
          const shown = bl.length + role(el, "elided").reduce((a, e) => a + +e.attrs["data-count"], 0);
          assert.equal(shown, list.length, `${f} ${z.name} ${fa.order}/${mt}: every block shown or counted`);
          let prev = -1;
          for (const b of bl) {
            const i = +b.attrs["data-index"];
            assert.ok(i > prev, "head to tail");
            prev = i;
            assert.equal(+b.attrs["data-pfn"], list[i]);
            assert.equal(b.attrs["data-hinted"], String(hinted.has(list[i])));
            const fill = b.children.find((c) => c.name === "rect").attrs.fill;
            assert.equal(fill === "url(#hl-h)", hinted.has(list[i]), `pfn ${list[i]} hatch iff Hinted`);
            assert.equal(textOf(b), String(list[i]));
          }
          blocks += bl.length;
        }
      }
      assert.equal(blocks, z.free_area.reduce((a, fa) => a + MTS.reduce((b, mt) => b + fa.free_list[mt].length, 0), 0));
    }
  }
});

test("the boundary marker stands right before the block it points at", () => {
  const st = load("state-boundary-mid-batch.json");
  assert.equal(st.hinting.boundary["2"].Movable.pfn, 8);
  const svg = parseXml(renderStateSvg(st));
  const l = listsOf(svg).get("2/Movable");
  const kids = l.children.filter((c) => c.name);
  const at = kids.findIndex((c) => c.attrs["data-role"] === "boundary");
  const marker = kids[at];
  assert.equal(marker.attrs["data-kind"], "block");
  assert.equal(marker.attrs["data-target"], "8");
  assert.equal(marker.attrs["data-index"], String(st.zones[0].free_area[2].free_list.Movable.indexOf(8)));
  assert.equal(marker.attrs["data-index"], "2");
  assert.equal(marker.attrs["data-active"], "true");
  assert.equal(kids[at + 1].attrs["data-pfn"], "8", "next element is the block pointed at");
  assert.equal(kids[at - 1].attrs["data-pfn"], "16", "previous element is the block before it");
  // o3: the boundary points at the only block (index 0)
  const o3 = listsOf(svg).get("3/Movable").children.filter((c) => c.name);
  assert.equal(o3[0].attrs["data-role"], "boundary");
  assert.equal(o3[1].attrs["data-pfn"], "56");
  // Lists whose boundary is unset get no marker.
  assert.equal(role(listsOf(svg).get("1/Movable"), "boundary").length, 0);
});

test("a boundary at the list head is a hooked bar after the last block; ACTIVE off dims it", () => {
  const st = load("state-two-zones-drain.json");
  const b = st.hinting.boundary["4"].HighAtomic;
  assert.deepEqual(b, { zone: "DMA32", pfn: null });
  const dma = parseXml(renderStateSvg(st, { zone: "DMA32" }));
  const kids = listsOf(dma).get("4/HighAtomic").children.filter((c) => c.name);
  const last = kids.at(-1);
  assert.equal(last.attrs["data-kind"], "head");
  assert.equal(last.attrs["data-index"], String(st.zones[0].free_area[4].free_list.HighAtomic.length));
  assert.equal(textOf(last), "head");
  // The boundary array is global: it is drawn only in the zone it points into.
  const normal = parseXml(renderStateSvg(st, { zone: "Normal" }));
  assert.equal(role(normal, "boundary").length, 0);

  const off = load("state-active-off.json");
  assert.equal(off.zones[0].flags.active, false);
  const svg = parseXml(renderStateSvg(off));
  const m = role(svg, "boundary").find((e) => e.attrs["data-kind"] === "block");
  assert.equal(m.attrs["data-active"], "false");
  assert.ok(all(m, (c) => c.name === "path" && "stroke-dasharray" in c.attrs).length, "dashed when ACTIVE is off");
  assert.ok(role(svg, "legend")[0] && textOf(role(svg, "legend")[0]).includes("ACTIVE is off"));
});

test("a stale boundary is shown, and it is not an anomaly", () => {
  const st = load("state-stale-boundary.json");
  assert.equal(st.hinting.boundary["2"].Movable.stale, true);
  assert.deepEqual(st.anomalies, [], "between cycles a stale boundary is ordinary (nothing reads it)");
  const svg = parseXml(renderStateSvg(st));
  const m = role(svg, "boundary").find((e) => e.attrs["data-kind"] === "stale");
  assert.equal(m.attrs["data-target"], String(st.hinting.boundary["2"].Movable.pfn));
  assert.match(textOf(m), /stale → 32/);
  assert.equal(role(svg, "anomaly").length, 0);
  assert.ok(role(svg, "nonresident").length >= 1, "non-resident overlay from zone.nonresident");
});

test("an anomaly is outlined beside a stale boundary", () => {
  // The hinted-not-at-tail tour after its allocation of 8: the boundary still names 8 (stale), and 20
  // sits behind the Hinted 0 (hinted_not_at_tail).
  const st = load("state-hinted-not-at-tail.json");
  assert.deepEqual(st.anomalies.map((a) => a.kind), ["hinted_not_at_tail"]);
  const svg = parseXml(renderStateSvg(st));
  const m = role(svg, "boundary").find((e) => e.attrs["data-kind"] === "stale");
  assert.match(textOf(m), /stale → 8/);
  assert.equal(role(svg, "anomaly").length, 1);
  assert.equal(role(svg, "anomalies")[0].attrs["data-count"], "1");
});

test("header: lamps, refcnt, phase and time", () => {
  const st = load("state-boundary-mid-batch.json");
  const svg = parseXml(renderStateSvg(st, { title: "t" }));
  const lamps = all(svg, (c) => "data-lamp" in c.attrs);
  assert.deepEqual(lamps.map((l) => [l.attrs["data-lamp"], l.attrs["data-lit"]]), [["requested", "true"], ["active", "true"]]);
  assert.equal(all(lamps[0], (c) => c.name === "circle")[0].attrs.fill, "#E69F00");
  const off = parseXml(renderStateSvg(load("state-active-off.json")));
  assert.equal(all(off, (c) => c.attrs["data-lamp"] === "active")[0].attrs["data-lit"], "false");
  assert.equal(all(all(off, (c) => c.attrs["data-lamp"] === "active")[0], (c) => c.name === "circle")[0].attrs.fill, "none");
  assert.equal(textOf(role(svg, "refcnt")[0]), String(st.hinting.refcnt));
  assert.equal(role(svg, "phase")[0].attrs["data-phase"], "react");
  assert.equal(textOf(role(svg, "work")[0]), "stopped before react");
  assert.equal(textOf(role(svg, "time")[0]), "100.0");
});

test("the batch lane lists the blocks in flight with their sg index", () => {
  const st = load("state-boundary-mid-batch.json");
  const svg = parseXml(renderStateSvg(st));
  const fl = role(svg, "inflight");
  assert.deepEqual(fl.map((e) => [+e.attrs["data-pfn"], +e.attrs["data-sg"]]), st.hinting.batch.map((b, i) => [b.pfn, i]));
  assert.ok(all(fl[0], (c) => c.attrs.fill === "url(#hl-dot)" && "stroke-dasharray" in c.attrs).length, "dots and dashes");
  const two = load("state-two-zones-drain.json");
  assert.equal(role(parseXml(renderStateSvg(two, { zone: "DMA32" })), "inflight").length, two.hinting.batch.length);
  const other = role(parseXml(renderStateSvg(two, { zone: "Normal" })), "batch")[0];
  assert.equal(other.attrs["data-count"], "0", "the batch of another zone is mentioned, not drawn");
  assert.equal(role(parseXml(renderStateSvg(load("state-active-off.json"))), "batch").length, 0, "no lane without a batch");
});

test("projector collapses empty migratetype columns; ids can be prefixed", () => {
  const st = load("state-boundary-mid-batch.json");
  const p = parseXml(renderStateSvg(st, { theme: "projector" }));
  assert.deepEqual(role(p, "colhead").map((c) => c.attrs["data-mt"]), ["Movable"]);
  const l = parseXml(renderStateSvg(st, { theme: "light" }));
  assert.deepEqual(role(l, "colhead").map((c) => c.attrs["data-mt"]), MTS);
  const s = renderStateSvg(st, { idPrefix: "x1" });
  assert.ok(s.includes('id="x1-h"') && s.includes("url(#x1-h)") && !s.includes("#hl-"));
});

test("all text is escaped", () => {
  const st = structuredClone(load("state-boundary-mid-batch.json"));
  const evil = `<script>alert("x")</script> & 'q' \u0001`;
  const s = renderStateSvg(st, { title: evil });
  assert.ok(!s.includes("<script>") && s.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"));
  assert.ok(!s.includes("\u0001"), "characters XML forbids are dropped");
  parseXml(s);
  st.zones[0].name = 'Nor"mal<&>';
  for (const b of Object.values(st.hinting.boundary)) for (const v of Object.values(b)) if (v) v.zone = st.zones[0].name;
  parseXml(renderStateSvg(st, { zone: 'Nor"mal<&>' }));
});

test("long lists are elided keeping head, tail and the boundary's neighbours", () => {
  const st = structuredClone(load("state-boundary-mid-batch.json"));
  const list = Array.from({ length: 300 }, (_, i) => 1000 + 4 * i);
  st.zones[0].pages = 4096;
  st.zones[0].free_area[2].free_list.Movable = list;
  st.zones[0].free_area[2].nr_free = 300;
  st.hinting.boundary["2"].Movable.pfn = list[150];
  for (const theme of ["light", "projector"]) {
    const svg = parseXml(renderStateSvg(st, { theme }));
    const l = listsOf(svg).get("2/Movable");
    const idx = role(l, "block").map((b) => +b.attrs["data-index"]);
    for (const i of [0, 149, 150, 299]) assert.ok(idx.includes(i), `${theme}: index ${i} shown`);
    const el = role(l, "elided");
    assert.ok(el.length >= 2);
    assert.equal(idx.length + el.reduce((a, e) => a + +e.attrs["data-count"], 0), 300);
    assert.match(textOf(el[0]), /… [\d,]+ more …|…[\d,]+…/);
    const kids = l.children.filter((c) => c.name);
    const at = kids.findIndex((c) => c.attrs["data-role"] === "boundary");
    assert.equal(kids[at + 1].attrs["data-index"], "150");
  }
});

test("elide(): anchors kept, runs counted", () => {
  assert.deepEqual(elide(3, 5), [{ index: 0 }, { index: 1 }, { index: 2 }]);
  const segs = elide(100, 10, 2, 40);
  const shown = segs.filter((s) => s.index !== undefined).map((s) => s.index);
  for (const i of [0, 39, 40, 99]) assert.ok(shown.includes(i));
  assert.equal(segs.reduce((a, s) => a + (s.count ?? 1), 0), 100);
  const ends = elide(100, 6, 1, 100); // boundary at the head: index n
  assert.ok(ends[0].index === 0 && ends.at(-1).index === 99);
});

test("a 1 GiB zone aggregates pages per map cell and stays small", () => {
  const st = structuredClone(load("state-boundary-mid-batch.json"));
  const z = st.zones[0];
  z.pages = 262144;
  z.pageblocks = Array.from({ length: 262144 / 4 }, (_, i) => (i % 7 === 3 ? "Unmovable" : "Movable"));
  z.allocated = [{ pfn: 64, order: 4, migratetype: "Movable" }, { pfn: 100000, order: 4, migratetype: "Unmovable" }];
  z.nonresident = [[0, 4], [200000, 5000]];
  const s = renderStateSvg(st, { width: 1280 });
  const svg = parseXml(s);
  const map = role(svg, "map")[0];
  assert.ok(+map.attrs["data-pages-per-cell"] > 1);
  assert.ok(+map.attrs["data-cols"] * +map.attrs["data-rows"] * +map.attrs["data-pages-per-cell"] >= 262144);
  assert.ok(s.length < 200_000, `SVG is ${s.length} bytes`);
  assert.ok(role(svg, "nonresident").length >= 1);
});

test("bad input is refused clearly", () => {
  const st = load("state-active-off.json");
  assert.throws(() => renderStateSvg(st, { zone: "Nope" }), /no zone named Nope/);
  assert.throws(() => renderStateSvg(st, { theme: "neon" }), /unknown theme/);
  assert.throws(() => renderStateSvg({}), /not a hinting-state\/1/);
});

test("an animation's frames share one layout: the batch lane is reserved, full or empty", async () => {
  const { layoutOf } = await import("../export/svg.js");
  const st = load("state-boundary-mid-batch.json");
  assert.ok(st.hinting.batch.length > 0);
  const empty = structuredClone(st);
  empty.hinting.batch = [];
  const h = (s) => +/<svg\b[^>]*\sheight="([\d.]+)"/.exec(s)[1];
  for (const theme of ["light", "projector"]) {
    const opts = { theme, width: 800 };
    const rows = layoutOf(st, opts).batchRows;
    assert.ok(rows >= 1);
    assert.notEqual(h(renderStateSvg(st, opts)), h(renderStateSvg(empty, opts)), "without the option the lane comes and goes");
    assert.equal(h(renderStateSvg(st, { ...opts, batchRows: rows })), h(renderStateSvg(empty, { ...opts, batchRows: rows })));
    const lane = role(parseXml(renderStateSvg(empty, { ...opts, batchRows: rows })), "batch")[0];
    assert.equal(lane.attrs["data-count"], "0");
  }
});

test("the palette module and the page's CSS agree", async () => {
  const { CSS_VARS } = await import("../palette.js");
  const css = readFileSync(join(here, "..", "..", "css", "app.css"), "utf8");
  const root = css.slice(css.indexOf(":root {"), css.indexOf("}", css.indexOf(":root {")));
  for (const [name, hex] of Object.entries(CSS_VARS)) {
    const m = new RegExp(`${name}:\\s*(#[0-9A-Fa-f]{6})`).exec(root);
    assert.ok(m, `${name} in app.css :root`);
    assert.equal(m[1].toUpperCase(), hex.toUpperCase(), name);
  }
});
