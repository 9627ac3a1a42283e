// compare.css, added to the page by the first module under compare/ that draws (never on a page without them).

const CSS = "/static/css/compare.css";

export function loadCss() {
  if (document.querySelector(`link[href="${CSS}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = CSS;
  document.head.appendChild(link);
}
