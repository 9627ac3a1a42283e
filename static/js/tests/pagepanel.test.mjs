// pagepanel/render.js on documents of the real core (page_trace.py runs core.page_repr): what the panel
// shows must be what the server says, under each encoding, for a Hinted head, a tail, an allocated page
// and a block out in the batch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { blockPosition, encodingLabel, pageHtml, totalsHtml } from "../pagepanel/render.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const PYTHONS = [join(root, ".venv", "bin", "python"), "python3"];
const PY = PYTHONS.find((p) => { try { execFileSync(p, ["-c", "import core"], { cwd: root, stdio: "ignore" }); return true; } catch { return false; } });
const trace = JSON.parse(execFileSync(PY, [join(here, "page_trace.py")], { cwd: root, maxBuffer: 1 << 26 }));

/** The text of the element carrying data-testid `id` in an HTML string (no DOM in Node: the markup is flat). */
function byTestId(html, id) {
  const m = html.match(new RegExp(`<(\\w+)[^>]*data-testid="${id}"[^>]*>(.*?)</\\1>`));
  return m ? m[2].replace(/<[^>]+>/g, "").replace(/&#39;/g, "'").replace(/&amp;/g, "&") : null;
}
const attr = (html, id, name) => html.match(new RegExp(`data-${name}="([^"]*)"[^>]*data-testid="${id}"|data-testid="${id}"[^>]*data-${name}="([^"]*)"`))?.slice(1).find((x) => x !== undefined);

test("a seed-Hinted head under each encoding: page_type, kpageflags and makedumpfile's verdict", () => {
  const docs = trace.done.pages["0"];
  const alias = pageHtml(docs["offline-alias"]);
  assert.equal(byTestId(alias, "page-type"), "0xfffffe7f");
  assert.equal(byTestId(alias, "page-type-signed"), "= -385");
  assert.equal(byTestId(alias, "kpageflags"), "BUDDY|OFFLINE");
  assert.equal(attr(alias, "makedumpfile", "verdict"), "dumped");
  assert.equal(byTestId(alias, "makedumpfile"), "dumped as ordinary memory");
  const reported = pageHtml(docs["uptodate-reported"]);
  assert.equal(byTestId(reported, "page-type"), "0xffffff7f");
  assert.equal(byTestId(reported, "kpageflags"), "BUDDY|UPTODATE");
  assert.equal(attr(reported, "makedumpfile", "verdict"), "excluded_free");
  assert.match(reported, /<b>PG_uptodate<\/b>/);
  assert.equal(byTestId(pageHtml(docs["dirty-unhinted"]), "kpageflags"), "BUDDY");
});

test("lru neighbours are links to their pfns; a list head is named, not linked", () => {
  const doc = trace.done.pages["0"]["offline-alias"];
  const html = pageHtml(doc);
  for (const end of ["next", "prev"]) {
    const v = doc.struct_page.lru[end];
    if (v.pfn !== undefined) {
      assert.equal(byTestId(html, `page-lru-${end}`), `pfn ${v.pfn}`);
      assert.match(html, new RegExp(`data-goto="${v.pfn}" data-testid="page-lru-${end}"`));
    } else {
      assert.equal(byTestId(html, `page-lru-${end}`), null);
      assert.ok(html.includes(`<code>${v.list_head}</code>`));
    }
  }
  assert.equal(byTestId(html, "page-list"), doc.block.list.name);
});

test("a tail page: its place in the block, steps to its neighbours, what /proc says of it", () => {
  const doc = trace.done.pages["3"]["offline-alias"];
  assert.deepEqual(blockPosition(doc), { index: 3, pages: 8, first: 0, last: 7, prev: 2, next: 4 });
  const html = pageHtml(doc);
  assert.equal(byTestId(html, "page-pos"), "page 4 of 8 · a tail page");
  assert.match(html, /data-goto="2" data-testid="page-prev"/);
  assert.match(html, /data-goto="4" data-testid="page-next"/);
  assert.equal(byTestId(html, "kpageflags"), "BUDDY");
  assert.equal(byTestId(html, "page-type"), "0xffffffff");
});

test("an allocated page and a block out in the batch", () => {
  const alloc = pageHtml(trace.done.pages["8"]["offline-alias"]);
  assert.equal(attr(alloc, "page-block", "state"), "allocated");
  assert.equal(byTestId(alloc, "page-list"), "none: allocated");
  const doc = trace.stepped.pages[String(trace.batch_pfn)]["offline-alias"];
  const batch = pageHtml(doc);
  assert.equal(attr(batch, "page-block", "state"), "batch");
  assert.ok(batch.includes(doc.struct_page.lru.next) && batch.includes("LIST_POISON"));
  assert.equal(attr(batch, "page-walkers", "sees"), "0");
  assert.equal(attr(batch, "makedumpfile", "verdict"), "dumped");
});

test("the zone's figures: every encoding from the state's summary, the chosen one marked, its breakdown", () => {
  const { summary, totals } = trace.done;
  for (const enc of ["offline-alias", "dirty-unhinted", "uptodate-reported"]) {
    const zone = totals[enc].zones[0];
    const html = totalsHtml("Normal", summary, enc, zone);
    assert.equal(byTestId(html, "page-dumped-though-free"), String(zone.makedumpfile.dumped_though_free));
    assert.equal(byTestId(html, "page-pageoffline"), String(zone.pageoffline.pages));
    assert.equal(byTestId(html, "page-flag-writes"), String(zone.flag_writes.total));
    assert.equal((html.match(/class="on"/g) ?? []).length, 4, "one header and three figures marked");
    assert.match(byTestId(html, "page-zone-detail"), new RegExp(`${zone.flag_writes.list_adds} list adds`));
  }
  assert.equal(totalsHtml("Normal", undefined, "offline-alias", null), "");
  assert.equal(encodingLabel("offline-alias", "offline-alias"), "offline-alias · the seed's · own");
  assert.equal(encodingLabel("uptodate-reported", "offline-alias"), "uptodate-reported · 5.7's");
});
