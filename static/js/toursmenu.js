// The Tours menu: every guided tour with its one-line description, started in
// one click (the session resets to the tour; its setup is applied at once).

import { $, esc } from "./util.js";

export class ToursMenu {
  constructor(ctx) {
    this.ctx = ctx;
    this.btn = $("#tours-open");
    this.pop = $("#tours-menu");
    this.pop.addEventListener("click", (e) => {
      const b = e.target.closest("[data-tour]");
      if (b) this.start(b.dataset.tour);
    });
    document.addEventListener("pointerdown", (e) => {
      if (!this.pop.hidden && !this.pop.contains(e.target) && e.target !== this.btn && !this.btn.contains(e.target)) this.close();
    });
    this.pop.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.stopPropagation(); this.close(); this.btn.focus(); }
    });
  }

  async toggle() {
    if (!this.pop.hidden) { this.close(); return; }
    this.btn.setAttribute("aria-expanded", "true");
    this.pop.hidden = false;
    if (!this.list) {
      try {
        this.list = (await (await fetch("/api/presets")).json()).filter((p) => p.kind === "tour");
      } catch {
        this.pop.innerHTML = `<p class="hint">The tours could not be loaded: the server cannot be reached.</p>`;
        return;
      }
    }
    const ro = this.ctx.ui.role !== "controller";
    const now = this.ctx.session?.preset;
    const item = (p) => `<button class="tour-item" role="menuitem" data-tour="${esc(p.name)}" data-testid="tour-item"` +
      ` data-group="${esc(p.group ?? "tours")}"${ro ? " disabled" : ""}${p.name === now ? ' aria-current="true"' : ""}>` +
      `<b>${esc(p.title)}</b><span>${esc(p.description)}</span></button>`;
    // The review's arguments first, in their order, apart from the lab's own tours.
    const review = this.list.filter((p) => p.group === "review");
    const own = this.list.filter((p) => p.group !== "review");
    const group = (id, title, hint, items) => (items.length
      ? `<div class="tours-group" role="group"${id === "tours" && review.length ? ' style="border-top: var(--bw) solid var(--line); margin-top: 0.35rem; padding-top: 0.35rem"' : ""} aria-labelledby="tg-${id}" data-testid="tours-group-${id}">` +
        `<div class="tours-head" id="tg-${id}"><b>${title}</b><span class="hint">${hint}</span></div>${items.map(item).join("")}</div>`
      : "");
    this.pop.innerHTML = `<div class="tours-head"><span class="hint">${ro
      ? "only the session's controller starts one" : "one click starts it (the session resets to it)"}</span></div>` +
      group("review", "The review, argument by argument", "seed and reporting side by side; predict, then see", review) +
      group("tours", "Guided tours", "one seed behaviour each", own);
    this.pop.querySelector("button:not(:disabled)")?.focus();
  }

  close() {
    this.pop.hidden = true;
    this.btn.setAttribute("aria-expanded", "false");
  }

  async start(name) {
    this.close();
    const res = await this.ctx.controls.send({ type: "reset", preset: name }, "reset");
    if (res) this.ctx.toast(`Tour: ${this.list.find((p) => p.name === name)?.title ?? name}. N plays its next step.`);
  }
}
