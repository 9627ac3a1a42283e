// What views and keys can ask the page to do that is not a request to the
// server: choose a zone, select a block, a list or an event, change the theme
// or the mode, open the seed patch at some lines.

import { $, needLayouts } from "./util.js";

export function makeActions(ctx) {
  const { store, ui } = ctx;
  const root = document.documentElement;

  function setHighlight(pfns = [], lists = []) {
    ui.highlight = { pfns: new Set(pfns.filter((p) => p !== null && p !== undefined)), lists: new Set(lists) };
    ctx.invalidate({ selection: true });
  }

  const actions = {
    setZone(name) {
      if (!store.zone(name) || ui.zone === name) return;
      ui.zone = name;
      // Alloc acts on the zone on screen.
      const sel = $("#alloc-zone");
      if (sel && [...sel.options].some((o) => o.value === name)) { sel.value = name; ctx.controls?.fillOrders(); }
      ctx.invalidate({ zoneChanged: true });
    },
    nextZone() {
      const i = store.zones.findIndex((z) => z.name === ui.zone);
      actions.setZone(store.zones[(i + 1) % store.zones.length].name);
    },
    // pfn: any page of the block (the page panel shows it)
    selectBlock(pfn) {
      const b = store.blockAt(pfn);
      ui.selection = { type: "block", pfn: b ? b.pfn : pfn };
      if (b && b.zone !== ui.zone) actions.setZone(b.zone);
      setHighlight([b ? b.pfn : pfn], b?.key ? [`${b.zone}|${b.key}`] : []);
      document.dispatchEvent(new CustomEvent("hl:block-select", { detail: { sid: ctx.sessionId, side: "left", zone: b?.zone, pfn: b?.pfn, order: b?.order, page: pfn } }));
    },
    selectList(zone, order, mt) {
      ui.selection = { type: "list", zone, order, mt };
      setHighlight([], [`${zone}|${order}/${mt}`]);
    },
    selectEvent(ev) {
      ui.selection = { type: "event", ev };
      if (ev.zone && ev.zone !== ui.zone && store.zone(ev.zone)) actions.setZone(ev.zone);
      const lists = (ev.lists ?? []).map(([z, o, mt]) => `${z}|${o}/${mt}`);
      if (ev.boundary) lists.push(`${ev.boundary.zone}|${ev.boundary.order}/${ev.boundary.migratetype}`);
      setHighlight(ev.blocks ?? [], lists);
    },
    selectAnomaly(i) {
      const a = (store.anomalies ?? [])[i];
      if (!a) return;
      ui.selection = { type: "event", ev: { ...a, text: a.message, fn: a.seed_fn, anomaly: a.kind, t_ms: store.now_ms,
        blocks: a.pfn !== null ? [a.pfn] : [], lists: a.order !== null ? [[a.zone, a.order, a.migratetype]] : [] } };
      if (a.zone && a.zone !== ui.zone) actions.setZone(a.zone);
      setHighlight(a.pfn !== null ? [a.pfn] : [], a.order !== null ? [`${a.zone}|${a.order}/${a.migratetype}`] : []);
    },
    showAnomalies() {
      actions.clearSelection();
      ctx.events.setFilter("anom");
    },
    clearSelection() {
      ui.selection = null;
      setHighlight();
    },
    free(pfn, order, slot) { return ctx.controls.free(pfn, order, slot); },
    nextEventFilter() { ctx.events.nextFilter(); },
    zoomOut() { ctx.memmap.zoomTo(null); },
    prefillMove(pfn) {
      $("#move-pfn").value = String(pfn);
      $("#move-migratetype").focus();
    },
    /** Show lines "a-b" of the seed patch (loaded on first use). */
    async openSeed(lines) {
      const { openSeed } = await import("./seedview.js");
      openSeed(lines);
    },
    toggleTheme() {
      root.dataset.theme = root.dataset.theme === "dark" ? "light" : "dark";
      try { localStorage.setItem("hl.theme", root.dataset.theme); } catch { /* ignore */ }
      ctx.memmap.themeChanged();
      ctx.invalidate({ themeChanged: true, layout: true });
    },
    async toggleProjector() {
      ui.projector = !ui.projector;
      if (ui.projector) await needLayouts();
      root.dataset.mode = ui.projector ? "projector" : "normal";
      try { localStorage.setItem("hl.mode", root.dataset.mode); } catch { /* ignore */ }
      ctx.memmap.themeChanged();
      ctx.zoneView.build();
      ctx.events.rebuild = true;
      ctx.invalidate({ modeChanged: true, themeChanged: true, layout: true, full: true });
    },
  };
  return actions;
}
