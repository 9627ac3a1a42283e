"""static/js/export/raster.js in a real browser: an SVG becomes the right pixels, a real PNG and a real download.

Node can only import these modules (static/js/tests/export_browser.test.mjs);
here they run where they are used, on a known SVG, and what they make is
decoded by Pillow.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page

from .conftest import LabServer, open_lab

pytestmark = pytest.mark.browser

# 40 × 20 SVG pixels: red on the left quarter, blue on the third, nothing (so: white) on the rest.
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
       '<rect x="0" y="0" width="10" height="20" fill="#ff0000"/>'
       '<rect x="20" y="0" width="10" height="20" fill="#0000ff"/></svg>')

RUN = """async ([svg]) => {
  const r = await import('/static/js/export/raster.js');
  const canvas = await r.svgToCanvas(svg, 2);
  const frame = r.canvasToFrame(canvas);
  const at = (x, y) => Array.from(frame.data.slice((y * frame.width + x) * 4, (y * frame.width + x) * 4 + 4));
  const png = await r.canvasToPngBlob(canvas);
  const bytes = new Uint8Array(await png.arrayBuffer());
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  let bad = null;
  try { await r.svgToCanvas('<svg width="10" height="10"><rect</svg>'); } catch (e) { bad = String(e.message); }
  r.download(png, 'view.png');
  return { frame: [frame.width, frame.height, frame.data.length], red: at(10, 20), blue: at(50, 20),
           blank: at(75, 20), type: png.type, png: btoa(bin), bad };
}"""


def test_an_svg_becomes_pixels_a_png_and_a_download(page: Page, server: LabServer) -> None:
    open_lab(page, server, "tiny")
    with page.expect_download(timeout=30_000) as info:
        out: dict[str, Any] = page.evaluate(RUN, [SVG])
    # svgToCanvas at scale 2, read back by canvasToFrame: 80 × 20·2 RGBA pixels, the shapes where they were
    # drawn, and an opaque white ground where nothing was.
    assert out["frame"] == [80, 40, 80 * 40 * 4]
    assert out["red"] == [255, 0, 0, 255]
    assert out["blue"] == [0, 0, 255, 255]
    assert out["blank"] == [255, 255, 255, 255]
    # canvasToPngBlob: a PNG that another program decodes to the same picture.
    assert out["type"] == "image/png"
    data = base64.b64decode(out["png"])
    png = Image.open(io.BytesIO(data))
    png.load()
    assert png.format == "PNG" and png.size == (80, 40)
    rgba = png.convert("RGBA")
    assert rgba.getpixel((10, 20)) == (255, 0, 0, 255)
    assert rgba.getpixel((50, 20)) == (0, 0, 255, 255)
    assert rgba.getpixel((75, 20)) == (255, 255, 255, 255)
    # An SVG the browser cannot load is refused in words.
    assert out["bad"] and "could not load the SVG" in out["bad"]
    # download: the browser saves exactly those bytes under the given name.
    assert info.value.suggested_filename == "view.png"
    saved = info.value.path()
    assert saved.read_bytes() == data
