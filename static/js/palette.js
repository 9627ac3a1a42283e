// The palette (DESIGN.md, Okabe-Ito) and the migratetypes' names, in one place.
//
// The page's CSS carries the same colours as custom properties (app.css
// :root); a unit test checks that the two agree.  Pictures made outside the
// page's CSS (the SVG export, PNG and GIF frames) take them from here.

export const MIGRATETYPES = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"];
export const MT_INDEX = Object.fromEntries(MIGRATETYPES.map((n, i) => [n, i]));
export const MT_SHORT = { Unmovable: "U", Movable: "M", Reclaimable: "R", HighAtomic: "H", Isolate: "I" };
export const MT_CLASS = { Unmovable: "mt-u", Movable: "mt-m", Reclaimable: "mt-r", HighAtomic: "mt-h", Isolate: "mt-i" };
/** Migratetype colours, in enum order (Isolate is black with a white hatch where drawn). */
export const MT_HEX = ["#CC79A7", "#0072B2", "#56B4E9", "#F0E442", "#000000"];

export const HINTED = "#009E73";
export const INFLIGHT = "#E69F00";
export const ANOMALY = "#D55E00";

// Surfaces and inks per theme; `projector` is the light theme with nothing lighter than #333.
const LIGHT = {
  bg: "#F3F4F5", panel: "#FFFFFF", line: "#D9DCDF", ink: "#1B1D1F", ink2: "#4A4F55", ink3: "#767B81",
  top: "#FFFFFF", topInk: "#1B1D1F", blk: "#FFFFFF", blkLine: "#767B81", mapFree: "#E3E6E9", band: "#F3F4F5",
  hBg: "#C9E9DD", hLine: "#00664A", hText: "#00664A", halo: "#FFFFFF", fBg: "#FBE3B5", fLine: "#9A6400",
  nonres: "#1B1D1F", chip: "#F3F4F5", gutHatch: "#D2D5D9", anomBg: "#FBE9DF",
};
export const THEMES = {
  light: LIGHT,
  dark: {
    ...LIGHT, bg: "#111315", panel: "#1A1D20", line: "#33383D", ink: "#ECEEF0", ink2: "#C2C7CC", ink3: "#8F959B",
    top: "#000000", topInk: "#FFFFFF", blk: "#23272B", blkLine: "#8F959B", mapFree: "#3A3F45", band: "#202326",
    hBg: "#0F4A3A", hLine: "#5FD3B0", hText: "#5FD3B0", halo: "#111315", fBg: "#4A3610", fLine: "#F5C65A",
    nonres: "#F3F4F5", chip: "#2A2E33", gutHatch: "#3A3F45", anomBg: "#1A1D20",
  },
  projector: {
    ...LIGHT, bg: "#FFFFFF", line: "#1B1D1F", ink: "#000000", ink2: "#1B1D1F", ink3: "#333333", top: "#000000",
    topInk: "#FFFFFF", blkLine: "#333333", fLine: "#7A4F00", nonres: "#000000", gutHatch: "#B9BDC2",
  },
};

/** The CSS custom property of each palette colour (app.css :root must agree; tests/palette checks). */
export const CSS_VARS = {
  "--mt-unmovable": MT_HEX[0], "--mt-movable": MT_HEX[1], "--mt-reclaimable": MT_HEX[2],
  "--mt-highatomic": MT_HEX[3], "--mt-isolate": MT_HEX[4], "--hinted": HINTED, "--inflight": INFLIGHT,
  "--anomaly": ANOMALY, "--ink": LIGHT.ink, "--ink-2": LIGHT.ink2, "--ink-3": LIGHT.ink3, "--page": LIGHT.bg,
  "--panel": LIGHT.panel, "--line": LIGHT.line, "--free": LIGHT.mapFree,
};
