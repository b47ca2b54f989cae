// One TCP connection of a session: the socket, its framer, a write queue that
// respects backpressure, the per-connection hold and keepalive timers, and an
// FSM state of its own. During a collision a session has two of these
// (RFC 4271 section 6.8); the session decides which survives.
import type { Socket } from "node:net";
import { type CeaseSubcode, ErrorCode } from "../codec/errors";
import { MessageFramer } from "../codec/framer";
import { encodeMessage } from "../codec/message";
import { DEFAULT_CAPS, MessageType, type OpenMessage, type SessionCaps } from "../codec/types";
import { type Clock, Timer } from "./clock";
import type { State } from "./fsm";
import type { Negotiated } from "./negotiate";

/** How long a closing connection may take to flush its last NOTIFICATION before it is cut. */
const LINGER_MS = 3000;

/**
 * How long one connection's frames may hold the event loop before it turns.
 * libuv reads a readable socket up to 32 times (64 KB each) in one turn, so a
 * peer sending a full table held the loop for 100 to 250 ms at a time: other
 * sessions' keepalives and BFD, control queries and the kernel layer's sends
 * all waited. Past this budget the socket is paused until the next turn.
 */
export const READ_SLICE_MS = 10;

export interface ConnectionHooks {
  /** One complete frame, or the error the framer raised on a bad header. */
  frame(conn: Connection, frame: Uint8Array): void;
  headerError(conn: Connection, error: unknown): void;
  /** The peer closed or the socket failed; not called for closes we started. */
  lost(conn: Connection, error: Error | undefined): void;
  holdExpired(conn: Connection): void;
  keepaliveDue(conn: Connection): void;
  /** The write queue emptied after backpressure. */
  drain(conn: Connection): void;
}

let nextId = 1;

export class Connection {
  readonly id = nextId++;
  /** FSM state of this connection (OpenSent onwards once handed to the session). */
  state: State;
  peerOpen?: OpenMessage;
  negotiated?: Negotiated;
  caps: SessionCaps = DEFAULT_CAPS;
  readonly hold: Timer;
  readonly keepalive: Timer;
  readonly closed: Promise<void>;

  private readonly framer = new MessageFramer();
  private queue: Uint8Array[] = [];
  private blocked = false;
  private closing = false;
  private finished = false;
  private lastError?: Error;
  private markClosed!: () => void;
  /** When the frames read in this turn of the event loop began to be handled (0: none yet). */
  private sliceStart = 0;
  private pausedForTurn = false;
  private readonly endOfTurn = (): void => {
    this.sliceStart = 0;
    // Resumed one turn later: resumed here, the data waiting would be handled at once, in this same turn.
    if (this.pausedForTurn) setImmediate(this.resumeReading);
  };
  private readonly resumeReading = (): void => {
    this.pausedForTurn = false;
    if (!this.socket.destroyed) this.socket.resume();
  };

  constructor(
    readonly socket: Socket,
    /** True when we initiated the TCP connection. */
    readonly outgoing: boolean,
    initialState: State,
    clock: Clock,
    private readonly hooks: ConnectionHooks,
  ) {
    this.state = initialState;
    this.hold = new Timer(clock, () => hooks.holdExpired(this));
    this.keepalive = new Timer(clock, () => hooks.keepaliveDue(this));
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.flush());
    socket.on("error", (err) => {
      this.lastError = err;
    });
    socket.on("close", () => this.onClose());
    if (socket.destroyed) queueMicrotask(() => this.onClose());
  }

  get isClosing(): boolean {
    return this.closing || this.finished;
  }

  /** Messages waiting for the socket to drain. */
  get queued(): number {
    return this.queue.length;
  }

  /** Bytes written but not yet handed to the kernel: our queue and the socket's own buffer. */
  get queuedBytes(): number {
    let n = this.socket.writableLength;
    for (const f of this.queue) n += f.length;
    return n;
  }

  get writable(): boolean {
    return !this.blocked && !this.isClosing;
  }

  setMaxMessageLength(n: number): void {
    this.framer.setMaxLength(n);
  }

  /** Queues frames in order; nothing is dropped while the connection is open. */
  write(frames: readonly Uint8Array[]): void {
    if (this.isClosing || this.socket.destroyed) return;
    if (this.blocked) {
      for (const f of frames) this.queue.push(f);
      return;
    }
    this.socket.cork();
    let i = 0;
    for (; i < frames.length; i++) {
      if (!this.socket.write(frames[i]!)) {
        this.blocked = true;
        i++;
        break;
      }
    }
    for (; i < frames.length; i++) this.queue.push(frames[i]!);
    this.socket.uncork();
  }

  /** Flushes what is queued, then closes gracefully; cut after a short linger. */
  close(): void {
    if (this.closing || this.finished) return;
    this.closing = true;
    this.hold.stop();
    this.keepalive.stop();
    if (!this.blocked) this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), LINGER_MS);
    linger.unref();
    void this.closed.then(() => clearTimeout(linger));
  }

  destroy(): void {
    this.closing = true;
    this.hold.stop();
    this.keepalive.stop();
    this.socket.destroy();
  }

  private flush(): void {
    this.blocked = false;
    if (this.queue.length > 0) {
      const pending = this.queue;
      this.queue = [];
      this.socket.cork();
      let i = 0;
      for (; i < pending.length; i++) {
        if (!this.socket.write(pending[i]!)) {
          this.blocked = true;
          i++;
          break;
        }
      }
      this.queue = pending.slice(i);
      this.socket.uncork();
    }
    if (this.blocked) return;
    if (this.closing) {
      this.socket.end();
      return;
    }
    this.hooks.drain(this);
  }

  private onData(chunk: Buffer): void {
    // After we decided to close, keep reading so unread data cannot turn our FIN into a RST.
    if (this.isClosing) return;
    if (this.sliceStart === 0) {
      this.sliceStart = performance.now();
      setImmediate(this.endOfTurn);
    }
    this.handleFrames(chunk);
    // What is read meanwhile waits in the socket's buffer, in order, until the next turn.
    if (!this.pausedForTurn && performance.now() - this.sliceStart >= READ_SLICE_MS) {
      this.pausedForTurn = true;
      this.socket.pause();
    }
  }

  private handleFrames(chunk: Buffer): void {
    this.framer.push(chunk);
    for (;;) {
      let frame: Uint8Array | null;
      try {
        frame = this.framer.next();
      } catch (e) {
        this.hooks.headerError(this, e);
        return;
      }
      if (frame === null) return;
      this.hooks.frame(this, frame);
      if (this.isClosing) return;
    }
  }

  private onClose(): void {
    if (this.finished) return;
    this.finished = true;
    this.hold.stop();
    this.keepalive.stop();
    this.queue = [];
    const ours = this.closing;
    this.closing = true;
    this.markClosed();
    if (!ours) this.hooks.lost(this, this.lastError);
  }
}

/** Sends a Cease with `subcode` on a connection we will not run, then closes it. */
export function refuseConnection(socket: Socket, subcode: CeaseSubcode): void {
  socket.on("error", () => {});
  try {
    const frame = encodeMessage(
      { type: MessageType.Notification, code: ErrorCode.Cease, subcode, data: new Uint8Array(0) },
      DEFAULT_CAPS,
    );
    socket.end(frame);
  } catch {
    socket.destroy();
  }
  // Drain whatever the peer sends meanwhile so our FIN is not turned into a RST.
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once("close", () => clearTimeout(linger));
}
