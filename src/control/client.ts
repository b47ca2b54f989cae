// The client end of the control socket, used by flatroutec and tests.
import { connect, type Socket } from "node:net";
import type { ControlReply } from "./protocol";

export type ControlErrorKind = "unreachable" | "timeout" | "reply" | "protocol";

export class ControlError extends Error {
  constructor(
    readonly kind: ControlErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface StreamOptions extends RequestOptions {
  /**
   * Take text chunks as bytes: such a chunk reaches the handler as one
   * Buffer of whole lines, never parsed (the agent sends them so for a text
   * listing, `render: "text"`).
   */
  bytes?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(data: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  timeoutMs: number;
  /** Streamed chunks so far, joined at the end (request()). */
  parts?: unknown[][];
  /** Takes each chunk as it comes (stream()); while its promise is pending, reading stops. */
  onChunk?: (data: unknown) => void | Promise<void>;
}

/** Receives a reply chunk by chunk; a returned promise holds the next chunk back (backpressure). */
export type ChunkHandler = (data: unknown) => void | Promise<void>;

/** One connection, several requests (pipelining allowed). */
export class ControlConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Bytes received and not yet taken, oldest first. */
  private readonly inbox: Buffer[] = [];
  /** The start of a line whose end has not come yet. */
  private partial: Buffer[] = [];
  /** A bytes chunk being received: its reply line, and its bytes so far. */
  private frame: { reply: ControlReply & { ok: true }; need: number; parts: Buffer[] } | undefined;
  private closedError: ControlError | undefined;
  /** A chunk handler is still busy: lines wait and the socket is paused. */
  private blocked = false;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () =>
      this.failAll(
        new ControlError("protocol", `flatroute at ${path} closed the connection before replying`),
      ),
    );
  }

  static connect(path: string, options: RequestOptions = {}): Promise<ControlConnection> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ControlError("timeout", `cannot reach flatroute at ${path}: no answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new ControlConnection(socket, path));
      });
      socket.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(unreachable(path, e));
      });
    });
  }

  /**
   * One request; a streamed reply is joined into one array, so callers see
   * the same data whether the agent streamed it or not.
   */
  request(
    command: string,
    args: Record<string, unknown> = {},
    options: RequestOptions = {},
  ): Promise<unknown> {
    return this.send(command, args, options);
  }

  /**
   * One request whose reply is handed over chunk by chunk as it arrives
   * (a single reply is one chunk): the way to read a full "show route"
   * without holding it. The timeout applies between chunks.
   */
  stream(
    command: string,
    args: Record<string, unknown>,
    onChunk: ChunkHandler,
    options: StreamOptions = {},
  ): Promise<void> {
    return this.send(command, args, options, onChunk).then(() => undefined);
  }

  private send(
    command: string,
    args: Record<string, unknown>,
    options: StreamOptions,
    onChunk?: ChunkHandler,
  ): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject, timer: this.timeout(id, timeoutMs), timeoutMs };
      if (onChunk) pending.onChunk = onChunk;
      this.pending.set(id, pending);
      const request = options.bytes ? { id, command, args, bytes: true } : { id, command, args };
      this.socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  private timeout(id: number, timeoutMs: number): NodeJS.Timeout {
    return setTimeout(() => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.reject(
        new ControlError("timeout", `no reply from flatroute at ${this.path} within ${timeoutMs} ms`),
      );
    }, timeoutMs);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.inbox.push(chunk);
    this.takeLines();
  }

  /** Takes reply lines (and the bytes of bytes chunks) from the inbox until it is empty or a handler holds it. */
  private takeLines(): void {
    const inbox = this.inbox;
    while (!this.blocked && inbox.length > 0) {
      const chunk = inbox[0]!;
      const frame = this.frame;
      if (frame !== undefined) {
        const n = Math.min(frame.need, chunk.length);
        frame.parts.push(chunk.subarray(0, n));
        frame.need -= n;
        this.consume(n);
        if (frame.need === 0) {
          this.frame = undefined;
          this.onReply(frame.reply, frame.parts.length === 1 ? frame.parts[0]! : Buffer.concat(frame.parts));
        }
        continue;
      }
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        this.partial.push(chunk);
        inbox.shift();
        continue;
      }
      const end = chunk.subarray(0, nl);
      const line = this.partial.length === 0 ? end : Buffer.concat([...this.partial, end]);
      this.partial = [];
      this.consume(nl + 1);
      this.onLine(line.toString("utf8"));
    }
  }

  /** Drops `n` bytes from the front of the inbox's first chunk. */
  private consume(n: number): void {
    const first = this.inbox[0]!;
    if (n >= first.length) this.inbox.shift();
    else this.inbox[0] = first.subarray(n);
  }

  /** Holds further lines until a chunk handler's promise settles, reading no more from the socket meanwhile. */
  private holdUntil(done: Promise<void>, id: number): void {
    this.blocked = true;
    this.socket.pause();
    done.then(
      () => {
        this.blocked = false;
        this.socket.resume();
        this.takeLines();
      },
      (e: unknown) => {
        this.blocked = false;
        this.socket.resume();
        this.finish(id, e instanceof Error ? e : new Error(String(e)));
        this.takeLines();
      },
    );
  }

  private onLine(line: string): void {
    let reply: ControlReply;
    try {
      reply = JSON.parse(line) as ControlReply;
    } catch {
      this.failAll(new ControlError("protocol", `unreadable reply from flatroute at ${this.path}`));
      this.socket.destroy();
      return;
    }
    if (reply.ok && "bytes" in reply) {
      if (!Number.isSafeInteger(reply.bytes) || reply.bytes < 0) {
        this.failAll(new ControlError("protocol", `unreadable reply from flatroute at ${this.path}`));
        this.socket.destroy();
        return;
      }
      // The chunk's bytes follow the line: the reply is handled once they are all in.
      this.frame = { reply, need: reply.bytes, parts: [] };
      if (reply.bytes === 0) {
        this.frame = undefined;
        this.onReply(reply, Buffer.alloc(0));
      }
      return;
    }
    this.onReply(reply, reply.ok ? reply.data : undefined);
  }

  /** A reply line (with its data, or a bytes chunk's bytes) for its request. */
  private onReply(reply: ControlReply, data: unknown): void {
    const waiter = typeof reply.id === "number" ? this.pending.get(reply.id) : undefined;
    if (!waiter) {
      // An error not tied to a request (e.g. "request line too long") fails everything outstanding.
      if (!reply.ok) this.failAll(new ControlError("reply", reply.error));
      return;
    }
    const id = reply.id as number;
    clearTimeout(waiter.timer);
    if (!reply.ok) {
      this.finish(id, new ControlError("reply", reply.error));
      return;
    }
    const last = reply.more !== true;
    if (last) this.pending.delete(id);
    else waiter.timer = this.timeout(id, waiter.timeoutMs);
    if (waiter.onChunk) {
      let handled: void | Promise<void>;
      try {
        handled = waiter.onChunk(data);
      } catch (e) {
        this.finish(id, e as Error);
        return;
      }
      if (handled instanceof Promise) {
        const settled = last
          ? handled.then(
              () => waiter.resolve(undefined),
              (e: unknown) => waiter.reject(e instanceof Error ? e : new Error(String(e))),
            )
          : handled;
        this.holdUntil(settled, id);
      } else if (last) waiter.resolve(undefined);
      return;
    }
    if (!last || waiter.parts) {
      waiter.parts ??= [];
      waiter.parts.push(Array.isArray(data) ? data : [data]);
      if (last) waiter.resolve(waiter.parts.flat());
      return;
    }
    waiter.resolve(data);
  }

  /** Ends request `id` with an error (if it is still outstanding). */
  private finish(id: number, e: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.reject(e);
  }

  private failAll(e: ControlError): void {
    this.closedError ??= e;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }
}

/** One request on a fresh connection: what flatroutec does for a one-shot command. */
export async function controlRequest(
  path: string,
  command: string,
  args: Record<string, unknown> = {},
  options: RequestOptions = {},
): Promise<unknown> {
  const conn = await ControlConnection.connect(path, options);
  try {
    return await conn.request(command, args, options);
  } finally {
    conn.close();
  }
}

function unreachable(path: string, e: NodeJS.ErrnoException): ControlError {
  switch (e.code) {
    case "ENOENT":
    case "ECONNREFUSED":
    case "ENOTDIR":
      return new ControlError("unreachable", `cannot reach flatroute at ${path}: is the agent running?`);
    case "EACCES":
    case "EPERM":
      return new ControlError(
        "unreachable",
        `cannot reach flatroute at ${path}: permission denied (run as root or as a member of the socket's group)`,
      );
    default:
      return new ControlError("unreachable", `cannot reach flatroute at ${path}: ${e.code ?? e.message}`);
  }
}
