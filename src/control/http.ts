// The HTTP side of the control plane: /metrics for Prometheus, /healthz and
// /readyz for the kubelet. Read-only by design; everything that changes state
// goes through the UNIX control socket, which file permissions protect.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { HealthState, Verdict } from "./health";

export interface ControlHttpOptions {
  /** Address to bind, e.g. "0.0.0.0", "::" or "127.0.0.1". */
  host: string;
  /** 0 picks a free port (tests); read it back with address(). */
  port: number;
  registry: Registry;
  health: HealthState;
}

const TEXT = "text/plain; charset=utf-8";

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", ...extra });
  res.end(body);
}

function sendVerdict(res: ServerResponse, v: Verdict): void {
  if (v.ok) send(res, 200, TEXT, "ok\n");
  else send(res, 503, TEXT, v.reasons.map((r) => `${r}\n`).join(""));
}

export class ControlHttpServer {
  private constructor(private readonly server: Server) {}

  static listen(o: ControlHttpOptions): Promise<ControlHttpServer> {
    const server = createServer((req, res) => {
      handle(o, req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, TEXT, `${err instanceof Error ? err.message : String(err)}\n`);
        else res.destroy();
      });
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => {
        server.off("error", reject);
        resolve(new ControlHttpServer(server));
      });
    });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stops listening and drops open (keep-alive) connections, so a Prometheus client cannot hold shutdown up. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
  }
}

async function handle(o: ControlHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0];
  const known = path === "/metrics" || path === "/healthz" || path === "/readyz";
  if (!known) return send(res, 404, TEXT, "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    return send(res, 405, TEXT, "method not allowed\n", { allow: "GET, HEAD" });
  }
  if (path === "/metrics") return send(res, 200, o.registry.contentType, await o.registry.metrics());
  if (path === "/healthz") return sendVerdict(res, o.health.liveness());
  return sendVerdict(res, o.health.readiness());
}
