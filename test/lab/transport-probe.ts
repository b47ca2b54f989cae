// Runs inside a lab namespace (`ip netns exec NS node transport-probe.js JSON`)
// so that the transport code opens its sockets there. Reports JSON lines on
// stdout: what was accepted or connected, and the first bytes received.
// A listener runs until stdin closes; a connect exits after one attempt.
import type { Socket } from "node:net";
import { BgpListener, connectTcp } from "../../src/bgp/transport";

type Command =
  | {
      mode: "listen";
      address: string;
      port: number;
      keys?: Record<string, string>;
      minTtl?: number;
      bytes: number;
    }
  | {
      mode: "connect";
      remoteAddress: string;
      remotePort: number;
      password?: string;
      ttl?: number;
      minTtl?: number;
      timeoutMs: number;
      bytes: number;
    };

function report(msg: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function firstBytes(socket: Socket, n: number, onBytes: (hex: string) => void): void {
  let got = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    if (got.length >= n) return;
    got = Buffer.concat([got, chunk]);
    if (got.length >= n) onBytes(got.subarray(0, n).toString("hex"));
  });
  socket.on("error", (e: NodeJS.ErrnoException) => report({ event: "socket-error", code: e.code }));
}

async function main(): Promise<void> {
  const cmd = JSON.parse(process.argv[2]!) as Command;
  if (cmd.mode === "listen") {
    const listener = await BgpListener.listen({ address: cmd.address, port: cmd.port });
    for (const [peer, password] of Object.entries(cmd.keys ?? {})) listener.setPeerKey(peer, password);
    if (cmd.minTtl !== undefined) listener.setMinTtl(cmd.minTtl);
    listener.on("connection", (socket) => {
      report({ event: "connection", remote: socket.remoteAddress });
      firstBytes(socket, cmd.bytes, (hex) => report({ event: "bytes", remote: socket.remoteAddress, hex }));
    });
    report({ event: "listening", port: listener.port });
    process.stdin.resume();
    process.stdin.on("end", () => void listener.close().then(() => process.exit(0)));
    return;
  }
  try {
    const socket = await connectTcp(cmd);
    report({ event: "connected", local: socket.localAddress });
    firstBytes(socket, cmd.bytes, (hex) => {
      report({ event: "bytes", hex });
      socket.destroy();
      process.exit(0);
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    report({ event: "error", code: err.code, message: err.message });
    process.exit(0);
  }
}

main().catch((e: Error) => {
  report({ event: "fatal", message: e.message });
  process.exit(1);
});
