// Browser-only: an exported SVG to pixels and files.  The SVG goes through a
// Blob URL and an <img>, so the canvas stays untainted and can be read back.
// An SVG drawn as an image gets no web fonts: text uses the system fallbacks.

/**
 * Rasterise an SVG document onto a new canvas.
 * Why: PNG for slides and frames for GIF/WebM all start from pixels.
 * @param {string} svgString  a standalone SVG document (with xmlns, width and height)
 * @param {number} [scale]    device pixels per SVG pixel (default 2, crisp on projectors and retina screens)
 * @returns {Promise<HTMLCanvasElement>}
 */
export async function svgToCanvas(svgString, scale = 2) {
  const tag = /<svg\b[^>]*>/.exec(svgString)?.[0] ?? "";
  const attr = (name) => +(new RegExp(`\\s${name}="([\\d.]+)"`).exec(tag)?.[1] ?? 0);
  const url = URL.createObjectURL(new Blob([svgString], { type: "image/svg+xml;charset=utf-8" }));
  try {
    const img = new Image();
    img.decoding = "async";
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error("svgToCanvas: the browser could not load the SVG (is it valid XML with xmlns?)"));
      img.src = url;
    });
    const w = attr("width") || img.naturalWidth;
    const h = attr("height") || img.naturalHeight;
    if (!(w > 0 && h > 0)) throw new Error("svgToCanvas: the SVG has no size");
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#FFFFFF"; // opaque, so PNG viewers and the GIF encoder see no transparency
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Encode a canvas as PNG.
 * @param {HTMLCanvasElement} canvas
 * @returns {Promise<Blob>}
 */
export function canvasToPngBlob(canvas) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("canvasToPngBlob: the canvas could not be encoded (too large or tainted?)"))), "image/png"));
}

/**
 * RGBA pixels of a canvas, in the frame shape encodeGif takes.
 * @param {HTMLCanvasElement} canvas
 * @returns {{data: Uint8ClampedArray, width: number, height: number}}
 */
export function canvasToFrame(canvas) {
  const { width, height } = canvas;
  return { data: canvas.getContext("2d").getImageData(0, 0, width, height).data, width, height };
}

/**
 * Save a Blob (or bytes) as a file through the browser's download flow.
 * Why: works offline, with no server round trip.
 * @param {Blob|Uint8Array|string} blob
 * @param {string} filename
 * @param {string} [type]  MIME type when `blob` is not a Blob already
 */
export function download(blob, filename, type = "application/octet-stream") {
  const b = blob instanceof Blob ? blob : new Blob([blob], { type });
  const url = URL.createObjectURL(b);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000); // some browsers read the URL after click returns
}
