// Browser-only: frames drawn on a canvas recorded as WebM (MediaRecorder), smaller
// than a GIF for long runs.  MediaRecorder stamps frames with the wall clock, so
// frames are paced in real time at `fps`.

/** Why recording is impossible here, or null when it is possible. */
export function webmUnsupportedReason(canvas) {
  if (typeof MediaRecorder === "undefined") return "this browser has no MediaRecorder; export a GIF instead";
  if (!canvas || typeof canvas.captureStream !== "function") return "this browser cannot capture a canvas as a stream (canvas.captureStream); export a GIF instead";
  if (!pickMime()) return "this browser's MediaRecorder cannot write WebM; export a GIF instead";
  return null;
}

function pickMime() {
  if (typeof MediaRecorder === "undefined") return null;
  return ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"].find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Record `count` frames as a WebM video.
 * Why: a clip of a hint cycle for talks and bug reports, made in the browser with
 * no upload.  Rejects with a clear message when MediaRecorder or WebM is missing
 * (call webmUnsupportedReason first to hide the button).
 * @param {HTMLCanvasElement} canvas  the canvas that drawFrame paints
 * @param {(i: number) => (void|Promise<void>)} drawFrame  paints frame i onto the canvas
 * @param {number} count  number of frames
 * @param {number} [fps]  frames per second (default 10)
 * @returns {Promise<Blob>} a video/webm Blob
 */
export async function recordWebm(canvas, drawFrame, count, fps = 10) {
  const why = webmUnsupportedReason(canvas);
  if (why) throw new Error(`recordWebm: ${why}`);
  if (!(count >= 1)) throw new Error("recordWebm: count must be at least 1");
  const mimeType = pickMime();
  const frameMs = 1000 / Math.max(0.1, Math.min(60, fps)); // slides often want 0.5-2 fps
  // captureStream(0) + requestFrame() sends exactly one frame per draw where supported.
  let stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0];
  const manual = typeof track?.requestFrame === "function";
  if (!manual) {
    for (const t of stream.getTracks()) t.stop();
    stream = canvas.captureStream(Math.max(1, fps));
  }
  const rec = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: 4_000_000 });
  const chunks = [];
  rec.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
  const done = new Promise((resolve, reject) => {
    rec.onstop = resolve;
    rec.onerror = (e) => reject(new Error(`recordWebm: MediaRecorder failed: ${e.error?.message ?? e.error ?? "unknown error"}`));
  });
  rec.start(1000);
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await drawFrame(i);
      if (manual) track.requestFrame();
      await sleep(Math.max(0, frameMs - (performance.now() - t0)));
    }
  } finally {
    if (rec.state !== "inactive") rec.stop();
  }
  await done;
  for (const t of stream.getTracks()) t.stop();
  const blob = new Blob(chunks, { type: "video/webm" });
  if (!blob.size) throw new Error("recordWebm: the recorder produced no data");
  return blob;
}
