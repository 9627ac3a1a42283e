// Sizes and colours for drawing without forcing a layout or a style pass in the middle of a frame:
// element sizes come from a ResizeObserver (read when the browser has them anyway), the theme's
// colours are read once per theme and mode.

const sizes = new WeakMap();
let observer = null;

/** Start watching `el`'s content box; `onChange` runs when it changes. */
export function watchSize(el, onChange) {
  observer ??= new ResizeObserver((entries) => {
    for (const e of entries) {
      const w = Math.round(e.contentRect.width);
      const h = Math.round(e.contentRect.height);
      const s = sizes.get(e.target);
      if (!s || s.w !== w || s.h !== h) {
        sizes.set(e.target, { w, h, cb: s?.cb });
        sizes.get(e.target).cb?.();
      }
    }
  });
  sizes.set(el, { w: 0, h: 0, cb: onChange });
  observer.observe(el);
}

/** The last size observed ({w: 0, h: 0} before the first). */
export function sizeOf(el) {
  return sizes.get(el) ?? { w: 0, h: 0 };
}

let colours = null;
let colourKey = "";

/** The palette's colours as the page's CSS has them now (read again when the theme or mode changes). */
export function palette() {
  const d = document.documentElement.dataset;
  const key = `${d.theme}|${d.mode}`;
  if (!colours || key !== colourKey) {
    const css = getComputedStyle(document.documentElement);
    const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    colours = {
      ink: v("--ink", "#1B1D1F"), ink3: v("--ink-3", "#767B81"), band: v("--inflight-pale", "#FCEBC8"),
      anomaly: v("--anomaly", "#D55E00"), free: v("--free", "#E3E6E9"), hinted: v("--hinted", "#009E73"),
      inflight: v("--inflight", "#E69F00"),
    };
    colourKey = key;
  }
  return colours;
}
