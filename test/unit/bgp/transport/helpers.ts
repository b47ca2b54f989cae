// Shared pieces of the loopback transport tests.
import type { Socket } from "node:net";
import { BgpListener } from "../../../../src/bgp/transport";
import { fdOf } from "../../../../src/bgp/transport/socket-options";
import { getIntSockopt } from "../../../../src/bgp/transport/sockopt";

/** Reads back an integer socket option, so tests see what the kernel holds. */
export function readSockopt(socket: Socket, [level, name]: readonly [level: number, name: number]): number {
  return getIntSockopt(fdOf(socket, "test socket"), level, name);
}

/** A listener that records what it accepted, closed (with its sockets) by `dispose`. */
export async function recordingListener(address: string) {
  const listener = await BgpListener.listen({ address, port: 0 });
  const accepted: Socket[] = [];
  const unclaimed: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  listener.on("connection", (s) => {
    accepted.push(s);
    const waiter = waiters.shift();
    if (waiter) waiter(s);
    else unclaimed.push(s);
  });
  return {
    listener,
    accepted,
    /** The oldest accepted socket not yet handed out, waiting for one if needed. */
    nextConnection(): Promise<Socket> {
      const ready = unclaimed.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
    async dispose(): Promise<void> {
      for (const s of accepted) s.destroy();
      await listener.close();
    },
  };
}

/** Resolves with the first `n` bytes the socket receives. */
export function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= n) {
        socket.off("data", onData);
        socket.off("error", reject);
        resolve(got.subarray(0, n));
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}
