// compare.css, added to the page by the first module under compare/ that draws (never on a page without them).

import { needStyle } from "../util.js";

const CSS = "/static/css/compare.css";

export const loadCss = () => needStyle(CSS);
