// The websocket protocol (docs/protocol.md) from the browser's side.
//
// Keeps one socket open to /ws/<session>, reconnecting with capped exponential
// backoff; presents the control token when it has one; matches replies to
// requests by id; watches delta sequence numbers and asks for a snapshot
// (resync) at a gap, dropping deltas until the snapshot comes.  A session the
// server does not know (it restarted, or the session expired) is reported
// once through `onGone` and the socket is not retried.

const CLOSE_NO_SESSION = 4404;
const REQUEST_TIMEOUT_MS = 15000;

export class Connection {
  /**
   * @param {object} o
   * @param {string} o.url          ws:// or wss:// URL
   * @param {string|null} o.token   control token, or null to watch
   * @param {(s:string, info?:object)=>void} o.onStatus  connecting | live | offline | gone
   * @param {(msg:object)=>void} o.onSnapshot
   * @param {(msg:object)=>void} o.onDelta
   * @param {(role:string, owner:boolean, hello?:boolean)=>void} [o.onRole]  hello, auth, or a `role` message
   * @param {(err:object)=>void} [o.onError]   server errors with no request to answer
   * @param {(msg:object)=>void} [o.onAudience]  who is watching (sent to the session's owner only)
   * @param {()=>void} [o.onGone]
   */
  constructor(o) {
    Object.assign(this, o);
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.seq = null;
    this.awaitingSnapshot = true;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.role = "viewer";
    this.status = "connecting";
  }

  start() {
    this.stopped = false;
    this._open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  _setStatus(s, info) {
    this.status = s;
    this.onStatus?.(s, info);
  }

  _open() {
    clearTimeout(this.timer);
    this._setStatus("connecting", { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this._retry();
      return;
    }
    this.ws = ws;
    this.seq = null;
    this.awaitingSnapshot = true;
    ws.onopen = () => {
      if (this.token) this._send({ type: "auth", token: this.token, id: this._id() }, true);
    };
    ws.onmessage = (ev) => this._message(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this._failPending({ code: "offline", message: "the connection to the server was lost" });
      if (ev.code === CLOSE_NO_SESSION || this.gone) {
        this._setStatus("gone");
        this.onGone?.();
        return;
      }
      if (!this.stopped) this._retry();
    };
  }

  _retry() {
    const base = Math.min(5000, 250 * 2 ** Math.min(this.attempt, 6));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this._setStatus("offline", { retryInMs: delay, attempt: this.attempt });
    this.timer = setTimeout(() => this._open(), delay);
  }

  /** Try again now (the user asked, or the page became visible). */
  retryNow() {
    if (this.ws || this.stopped) return;
    clearTimeout(this.timer);
    this._open();
  }

  _id() {
    return this.nextId++;
  }

  _send(obj, internal = false) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(obj));
    if (internal && obj.type === "auth") this.authId = obj.id;
    return true;
  }

  /** Send a request; resolves with the `result` message, rejects with {code, message, field}. */
  request(body) {
    return new Promise((resolve, reject) => {
      const id = this._id();
      if (!this._send({ ...body, id })) {
        reject({ code: "offline", message: "not connected to the server; retrying", field: null });
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject({ code: "timeout", message: "the server did not answer in time", field: null });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /** Ask for a fresh snapshot; deltas are ignored until it arrives. */
  resync() {
    this.awaitingSnapshot = true;
    this._send({ type: "resync", id: this._id() });
  }

  _failPending(err) {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject({ ...err, field: null });
    }
    this.pending.clear();
  }

  _message(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    switch (msg.type) {
      case "hello":
        this.role = msg.role;
        this.owner = false;
        this.limits = msg.limits;
        this.connection = msg.connection;
        this.onRole?.(this.role, false, true);
        break;
      case "role":
        // auth, or the owner granted or revoked control: enable or disable the controls now
        this.role = msg.role;
        this.owner = !!msg.owner;
        this.onRole?.(this.role, this.owner);
        break;
      case "snapshot":
        this.seq = msg.seq;
        this.awaitingSnapshot = false;
        this.attempt = 0;
        this.onSnapshot(msg);
        this._setStatus("live");
        break;
      case "delta":
        if (this.awaitingSnapshot) break;
        if (this.seq !== null && msg.seq !== this.seq + 1) {
          this.resync();
          break;
        }
        this.seq = msg.seq;
        this.onDelta(msg);
        break;
      case "result": {
        if (msg.id === this.authId) {
          if (msg.ok) { this.role = "controller"; this.owner = !!msg.result?.owner; this.onRole?.(this.role, this.owner); }
          else this.onError?.(msg.error);
          break;
        }
        const p = this.pending.get(msg.id);
        if (!p) break;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg);
        else p.reject({ ...(msg.error ?? { code: "failed", message: "refused" }), result: msg.result });
        break;
      }
      case "audience":
        this.onAudience?.(msg);
        break;
      case "error":
        if (msg.error?.code === "no_session") this.gone = true;
        this.onError?.(msg.error);
        break;
      default:
        break;
    }
  }
}
