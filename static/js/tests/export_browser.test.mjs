// raster.js and webm.js need a browser (canvas, Image, MediaRecorder); under node
// they must still import cleanly and say clearly why recording is impossible.
// What they make (pixels, a PNG, a download) is checked in Chromium by
// tests/browser/test_raster_export.py and tests/browser/test_sharing.py.
import { test } from "node:test";
import assert from "node:assert/strict";

import { svgToCanvas, canvasToPngBlob, canvasToFrame, download } from "../export/raster.js";
import { recordWebm, webmUnsupportedReason } from "../export/webm.js";

test("browser-only modules import under node without touching the DOM (this import would throw)", () => {
  for (const f of [svgToCanvas, canvasToPngBlob, canvasToFrame, download, recordWebm]) assert.equal(typeof f, "function");
});

test("recordWebm explains that MediaRecorder is missing", async () => {
  assert.match(webmUnsupportedReason({}), /MediaRecorder/);
  await assert.rejects(recordWebm({ captureStream() {} }, () => {}, 3, 10), /recordWebm: this browser has no MediaRecorder; export a GIF instead/);
});

test("recordWebm explains a canvas that cannot be captured, or a missing WebM codec", async () => {
  globalThis.MediaRecorder = class { static isTypeSupported() { return false; } };
  try {
    assert.match(webmUnsupportedReason({}), /captureStream/);
    await assert.rejects(recordWebm({ captureStream() {} }, () => {}, 3), /cannot write WebM/);
  } finally {
    delete globalThis.MediaRecorder;
  }
});
