// Client for the agent's control socket: one JSON object per line each way,
// replies matched by id (docs/architecture.md, "Control socket").
import { createConnection } from "node:net";

export class ControlError extends Error {
  override name = "ControlError";
}

let nextId = 1;

/** One request on a fresh connection; the agent may be restarting, so nothing is kept open. */
export function controlRequest(
  socketPath: string,
  command: string,
  args: object = {},
  timeoutMs = 5_000,
): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const conn = createConnection(socketPath);
    let buf = "";
    const parts: unknown[] = [];
    const fail = (err: Error) => {
      conn.destroy();
      reject(err);
    };
    conn.setTimeout(timeoutMs, () =>
      fail(new ControlError(`no reply to "${command}" within ${timeoutMs} ms`)),
    );
    conn.once("error", fail);
    conn.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        let reply: { id?: number; ok?: boolean; more?: boolean; data?: unknown; error?: string };
        try {
          reply = JSON.parse(line);
        } catch {
          fail(new ControlError(`unparsable reply line: ${line}`));
          return;
        }
        if (reply.id !== id) continue;
        // A streamed reply (show route): chunks with "more", joined in order (docs/cli.md).
        if (reply.ok && reply.more) {
          parts.push(...(reply.data as unknown[]));
          continue;
        }
        conn.end();
        if (reply.ok) resolve(parts.length > 0 ? [...parts, ...(reply.data as unknown[])] : reply.data);
        else reject(new ControlError(reply.error ?? `"${command}" failed`));
        return;
      }
    });
    conn.write(`${JSON.stringify({ id, command, args })}\n`);
  });
}
