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

/**
 * Per-test loopback setup in the calling describe block: a fresh recording
 * listener on `address`, and teardown of it and of every client the test
 * pushed onto `clients`.
 */
export function useRecordingListener(address: string) {
  let rec: Awaited<ReturnType<typeof recordingListener>> | undefined;
  const clients: Socket[] = [];
  beforeEach(async () => {
    rec = await recordingListener(address);
  });
  afterEach(async () => {
    for (const s of clients.splice(0)) s.destroy();
    await rec?.dispose();
  });
  return {
    get rec() {
      if (rec === undefined) throw new Error("the recording listener exists only inside a test");
      return rec;
    },
    clients,
  };
}
