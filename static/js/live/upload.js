// POST a trace to /api/import-trace (app/trace_upload.py) with progress:
// the upload's own progress, then the server's NDJSON progress lines while it
// converts, then the new session.  XMLHttpRequest, because fetch reports no
// upload progress.

/**
 * @param {File} file
 * @param {{design: string, timeScale: string|number, onProgress: (phase: string, done: number, total: number) => void}} o
 * @returns {{promise: Promise<object>, abort: () => void}}
 */
export function uploadTrace(file, o) {
  const xhr = new XMLHttpRequest();
  const q = new URLSearchParams({ design: o.design, time_scale: String(o.timeScale), name: file.name });
  const promise = new Promise((resolve, reject) => {
    let seen = 0;
    let last = null;
    const lines = () => {
      const text = xhr.responseText ?? "";
      const cut = text.lastIndexOf("\n");
      if (cut < seen) return;
      for (const line of text.slice(seen, cut).split("\n")) {
        if (!line.trim()) continue;
        let msg;
        try { msg = JSON.parse(line); } catch { continue; }
        last = msg;
        if (msg.phase === "convert") o.onProgress("convert", msg.lines, msg.total);
        else if (msg.phase === "session") o.onProgress("session", 1, 1);
      }
      seen = cut + 1;
    };
    xhr.upload.onprogress = (e) => o.onProgress("upload", e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onprogress = lines;
    xhr.onerror = () => reject({ code: "offline", message: "the server cannot be reached", field: null });
    xhr.onabort = () => reject({ code: "aborted", message: "cancelled", field: null });
    xhr.onload = () => {
      if (xhr.status >= 400) {
        let err = null;
        try { err = JSON.parse(xhr.responseText).error; } catch { /* not JSON */ }
        reject(err ?? { code: String(xhr.status), message: xhr.statusText, field: null });
        return;
      }
      lines();
      if (last?.result) resolve(last.result);
      else if (last?.error) reject({ ...last.error, summary: last.summary });
      else reject({ code: "failed", message: "the server ended the import without a result", field: null });
    };
    xhr.open("POST", `/api/import-trace?${q}`);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
