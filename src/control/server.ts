// The agent's end of the control socket: a UNIX stream socket speaking JSON
// lines. A client's bad input earns an error reply on that connection only;
// nothing a client sends can take the agent down.
import { chmod, chown, lstat, mkdir, stat, unlink } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { CommandError } from "./commands";
import { type ControlReply, type ControlRequest, MAX_LINE_BYTES, type RequestId } from "./protocol";
import { JsonItems, StreamedReply, TextChunk } from "./stream";

/**
 * How much of a streamed reply may wait in the socket's buffer before the
 * stream pauses until it drains: enough to keep a fast reader busy while
 * the next chunks are made (waiting on every chunk would pace the stream by
 * scheduling latency), little enough that a slow reader costs little memory.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

export type ControlHandler = (command: string, args: unknown) => Promise<unknown>;

/**
 * A client's unsent output above which its next request waits: a client that
 * sends requests and never reads costs at most this plus one reply (a large
 * `show route` is one reply, sent whole) and the requests below.
 */
export const OUTPUT_HIGH_WATER_BYTES = 1024 * 1024;
/** Requests read ahead of the one being answered; beyond this the server stops reading from the client. */
export const MAX_PENDING_REQUESTS = 32;
/** A client whose output has not drained for this long is dropped. */
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export interface ControlServerOptions {
  log?: Logger;
  /** File mode of the socket; group members may use flatroutec. */
  mode?: number;
  /** Group (gid) of the socket; absent: the agent's own. */
  group?: number;
  /** How long a client may leave its output unread before it is dropped (default DEFAULT_STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number;
}

export class ControlServer {
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
    private readonly handler: ControlHandler,
    private readonly log: Logger | undefined,
    private readonly stallTimeoutMs: number,
  ) {
    server.on("connection", (socket) => this.serve(socket));
  }

  static async listen(
    path: string,
    handler: ControlHandler,
    options: ControlServerOptions = {},
  ): Promise<ControlServer> {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await refuseOpenDirectory(dirname(path));
    await removeStaleSocket(path);
    const server = createServer();
    const control = new ControlServer(
      server,
      path,
      handler,
      options.log,
      options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (e) => options.log?.error({ err: e }, "control socket error"));
    // Owner: the agent (root in a deployment); group: root's or control.group. Nobody else may connect.
    if (options.group !== undefined) await chown(path, process.getuid?.() ?? -1, options.group);
    await chmod(path, options.mode ?? 0o660);
    return control;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /** Stops accepting, drops open connections and removes the socket file. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.clients) c.destroy();
    await closed;
    await unlink(this.path).catch(() => undefined);
  }

  private serve(socket: Socket): void {
    this.clients.add(socket);
    socket.setEncoding("utf8");
    let buffered = "";
    let overflowed = false;
    // Requests on one connection are answered in order, one at a time. A client
    // that does not read its replies is not answered further (its output would
    // only pile up in the agent) and, with MAX_PENDING_REQUESTS waiting, not read either.
    const pending: Array<() => Promise<void>> = [];
    let pumping = false;
    const pump = async (): Promise<void> => {
      if (pumping) return;
      pumping = true;
      while (pending.length > 0 && !socket.destroyed) {
        if (
          socket.writableLength > OUTPUT_HIGH_WATER_BYTES &&
          !(await drained(socket, this.stallTimeoutMs))
        ) {
          if (!socket.destroyed) {
            this.log?.warn(
              { unsent: socket.writableLength, stalledMs: this.stallTimeoutMs },
              "control client does not read its replies; dropping it",
            );
            socket.destroy();
          }
          break;
        }
        await pending.shift()!();
        if (pending.length < MAX_PENDING_REQUESTS && socket.isPaused() && !overflowed) socket.resume();
      }
      pumping = false;
    };
    socket.on("data", (chunk: string) => {
      if (overflowed) return;
      buffered += chunk;
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== "") pending.push(() => this.answer(socket, line));
        nl = buffered.indexOf("\n");
      }
      if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
        overflowed = true;
        buffered = "";
        pending.push(async () => {
          send(socket, { id: null, ok: false, error: `request line longer than ${MAX_LINE_BYTES} bytes` });
          socket.end();
        });
      }
      if (pending.length >= MAX_PENDING_REQUESTS) socket.pause();
      void pump();
    });
    // A client that vanished mid-reply (EPIPE, ECONNRESET) is not the agent's problem.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      pending.length = 0;
      this.clients.delete(socket);
    });
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    const request = parseRequest(line);
    if ("error" in request) {
      send(socket, request);
      return;
    }
    let reply: ControlReply;
    try {
      const data = await this.handler(request.command, request.args);
      if (data instanceof StreamedReply) {
        await this.stream(socket, request.id, data, request.bytes === true);
        return;
      }
      reply = { id: request.id, ok: true, data: data ?? null };
    } catch (e) {
      reply = this.failure(request, e);
    }
    send(socket, reply);
  }

  private failure(request: ControlRequest, e: unknown): ControlReply {
    if (!(e instanceof CommandError))
      this.log?.error({ err: e, command: request.command }, "control command failed");
    return { id: request.id, ok: false, error: (e as Error).message ?? String(e) };
  }

  /**
   * Sends each chunk as `{"id", "ok": true, "more": true, "data": [...]}`
   * and the last one without "more" (an empty array when the stream was
   * empty). One chunk is held back to know which is last. While more than
   * STREAM_BUFFER_BYTES wait in the socket's buffer nothing more is produced; a client that left stops the
   * stream; an error mid-stream ends it with an error reply.
   */
  private async stream(socket: Socket, id: RequestId, reply: StreamedReply, bytes: boolean): Promise<void> {
    let held: unknown[] | JsonItems | TextChunk | undefined;
    try {
      for await (const chunk of reply.chunks) {
        if (held !== undefined) {
          sendChunk(socket, id, held, true, bytes);
          if (socket.writableLength > STREAM_BUFFER_BYTES && !(await drained(socket, this.stallTimeoutMs))) {
            // Gone, or not reading: a client that never reads must not hold the stream (and its cursor) open.
            socket.destroy();
            return;
          }
        }
        if (socket.destroyed) return;
        held = chunk;
      }
    } catch (e) {
      send(socket, this.failure({ id, command: "stream" }, e));
      return;
    }
    sendChunk(socket, id, held ?? [], false, bytes);
  }
}

function sendChunk(
  socket: Socket,
  id: RequestId,
  data: unknown[] | JsonItems | TextChunk,
  more: boolean,
  bytes: boolean,
): void {
  if (data instanceof TextChunk) {
    if (!bytes || socket.destroyed || !socket.writable) {
      send(socket, { id, ok: true, ...(more ? { more } : {}), data: [data.bytes.toString()] });
      data.done();
      return;
    }
    // A header line, then the text as it is: the client copies it out, no JSON either side.
    socket.cork();
    socket.write(
      `{"id":${JSON.stringify(id)},"ok":true,${more ? '"more":true,' : ""}"bytes":${data.bytes.length}}\n`,
    );
    socket.write(data.bytes, () => data.done());
    socket.uncork();
    return;
  }
  if (!(data instanceof JsonItems)) {
    send(socket, more ? { id, ok: true, more, data } : { id, ok: true, data });
    return;
  }
  if (socket.destroyed || !socket.writable) return;
  // The same line JSON.stringify would make of the parsed items; corked: one write of the three parts.
  socket.cork();
  socket.write(`{"id":${JSON.stringify(id)},"ok":true,${more ? '"more":true,' : ""}"data":[`);
  socket.write(data.bytes, () => data.done());
  socket.write("]}\n");
  socket.uncork();
}

function parseRequest(line: string): ControlRequest | (ControlReply & { ok: false }) {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { id: null, ok: false, error: `malformed request: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { id: null, ok: false, error: 'malformed request: expected an object {"id", "command", "args"}' };
  }
  const o = value as Record<string, unknown>;
  const id: RequestId | null = typeof o.id === "number" || typeof o.id === "string" ? o.id : null;
  if (id === null)
    return { id: null, ok: false, error: 'malformed request: "id" must be a number or string' };
  if (typeof o.command !== "string") {
    return { id, ok: false, error: 'malformed request: "command" must be a string' };
  }
  const request: ControlRequest = {
    id,
    command: o.command,
    args: o.args as Record<string, unknown> | undefined,
  };
  if (o.bytes === true) request.bytes = true;
  return request;
}

function send(socket: Socket, reply: ControlReply): void {
  if (socket.destroyed || !socket.writable) return;
  let text: string;
  try {
    text = JSON.stringify(reply);
  } catch (e) {
    text = JSON.stringify({ id: reply.id, ok: false, error: `cannot encode reply: ${(e as Error).message}` });
  }
  socket.write(`${text}\n`);
}

/** Resolves true once `socket` has written its buffer out, false when it closes or `timeoutMs` passes first. */
function drained(socket: Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("drain", onDrain);
    socket.on("close", onClose);
  });
}

/**
 * A directory anyone may write to without the sticky bit would let any user
 * replace the socket with their own and read what flatroutec sends: refused.
 */
async function refuseOpenDirectory(dir: string): Promise<void> {
  const mode = (await stat(dir)).mode;
  if ((mode & 0o002) !== 0 && (mode & 0o1000) === 0) {
    throw new Error(
      `${dir} is writable by every user (mode ${(mode & 0o7777).toString(8)}): any of them could replace the control socket; use a directory only root can write to`,
    );
  }
}

/** Removes a socket file left by a dead agent; refuses if a live one answers on it. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await somethingListens(path)) {
    throw new Error(`another process is already listening on ${path} (is flatroute already running?)`);
  }
  await unlink(path);
}

function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNREFUSED" || e.code === "ENOENT") resolve(false);
      else reject(e);
    });
  });
}
