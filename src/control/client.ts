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

const DEFAULT_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(data: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** One connection, several requests (pipelining allowed). */
export class ControlConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = "";
  private closedError: ControlError | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
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

  request(
    command: string,
    args: Record<string, unknown> = {},
    options: RequestOptions = {},
  ): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError("timeout", `no reply from flatroute at ${this.path} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(`${JSON.stringify({ id, command, args })}\n`);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl = this.buffered.indexOf("\n");
    while (nl >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onLine(line);
      nl = this.buffered.indexOf("\n");
    }
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
    const waiter = typeof reply.id === "number" ? this.pending.get(reply.id) : undefined;
    if (!waiter) {
      // An error not tied to a request (e.g. "request line too long") fails everything outstanding.
      if (!reply.ok) this.failAll(new ControlError("reply", reply.error));
      return;
    }
    this.pending.delete(reply.id as number);
    clearTimeout(waiter.timer);
    if (reply.ok) waiter.resolve(reply.data);
    else waiter.reject(new ControlError("reply", reply.error));
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
