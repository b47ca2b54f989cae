// The agent's end of the control socket: a UNIX stream socket speaking JSON
// lines. A client's bad input earns an error reply on that connection only;
// nothing a client sends can take the agent down.
import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { CommandError } from "./commands";
import { type ControlReply, type ControlRequest, MAX_LINE_BYTES, type RequestId } from "./protocol";
import { JsonItems, StreamedReply } from "./stream";

/**
 * How much of a streamed reply may wait in the socket's buffer before the
 * stream pauses until it drains: enough to keep a fast reader busy while
 * the next chunks are made (waiting on every chunk would pace the stream by
 * scheduling latency), little enough that a slow reader costs little memory.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

export type ControlHandler = (command: string, args: unknown) => Promise<unknown>;

export interface ControlServerOptions {
  log?: Logger;
  /** File mode of the socket; group members may use flatroutec. */
  mode?: number;
}

export class ControlServer {
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
    private readonly handler: ControlHandler,
    private readonly log: Logger | undefined,
  ) {
    server.on("connection", (socket) => this.serve(socket));
  }

  static async listen(
    path: string,
    handler: ControlHandler,
    options: ControlServerOptions = {},
  ): Promise<ControlServer> {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await removeStaleSocket(path);
    const server = createServer();
    const control = new ControlServer(server, path, handler, options.log);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (e) => options.log?.error({ err: e }, "control socket error"));
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
    // Requests on one connection are answered in order, one at a time.
    let queue = Promise.resolve();
    socket.on("data", (chunk: string) => {
      if (overflowed) return;
      buffered += chunk;
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== "") queue = queue.then(() => this.answer(socket, line));
        nl = buffered.indexOf("\n");
      }
      if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
        overflowed = true;
        buffered = "";
        queue = queue.then(() => {
          send(socket, { id: null, ok: false, error: `request line longer than ${MAX_LINE_BYTES} bytes` });
          socket.end();
        });
      }
    });
    // A client that vanished mid-reply (EPIPE, ECONNRESET) is not the agent's problem.
    socket.on("error", () => undefined);
    socket.on("close", () => this.clients.delete(socket));
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
        await this.stream(socket, request.id, data);
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
  private async stream(socket: Socket, id: RequestId, reply: StreamedReply): Promise<void> {
    let held: unknown[] | JsonItems | undefined;
    try {
      for await (const chunk of reply.chunks) {
        if (held !== undefined) {
          sendChunk(socket, id, held, true);
          if (socket.writableLength > STREAM_BUFFER_BYTES && !(await drained(socket))) return;
        }
        if (socket.destroyed) return;
        held = chunk;
      }
    } catch (e) {
      send(socket, this.failure({ id, command: "stream" }, e));
      return;
    }
    sendChunk(socket, id, held ?? [], false);
  }
}

function sendChunk(socket: Socket, id: RequestId, data: unknown[] | JsonItems, more: boolean): void {
  if (!(data instanceof JsonItems)) {
    send(socket, more ? { id, ok: true, more, data } : { id, ok: true, data });
    return;
  }
  if (socket.destroyed || !socket.writable) return;
  // The same line JSON.stringify would make of the parsed items.
  socket.write(
    `{"id":${JSON.stringify(id)},"ok":true,${more ? '"more":true,' : ""}"data":[${data.texts.join(",")}]}\n`,
  );
}

/** Resolves true once the socket drained, false if it closed first. */
function drained(socket: Socket): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    socket.on("drain", onDrain);
    socket.on("close", onClose);
  });
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
  return { id, command: o.command, args: o.args as Record<string, unknown> | undefined };
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
