import assert from "node:assert/strict";
import { ConnectTimeoutError, connectTcp, SockoptError } from "../../../../src/bgp/transport";
import { readBytes, recordingListener, useRecordingListener } from "./helpers";

// A SYN with a missing or wrong MD5 option is dropped silently by the kernel,
// so the client can only time out; on loopback that outcome is deterministic.
const REFUSED_MS = 800;

const cases = [
  { name: "IPv4 listener", listen: "127.0.0.1", peer: "127.0.0.1" },
  { name: "IPv6 listener", listen: "::1", peer: "::1" },
  { name: "dual-stack listener with an IPv4 peer", listen: "::", peer: "127.0.0.1" },
];

for (const c of cases) {
  describe(`TCP MD5 on loopback: ${c.name}`, () => {
    const fx = useRecordingListener(c.listen);

    it("connects with the matching key and carries data both ways", async () => {
      fx.rec.listener.setPeerKey(c.peer, "s3cret-key");
      const client = await connectTcp({
        remoteAddress: c.peer,
        remotePort: fx.rec.listener.port,
        password: "s3cret-key",
        timeoutMs: 5000,
      });
      fx.clients.push(client);
      const server = await fx.rec.nextConnection();
      assert.equal(server.remoteAddress, c.peer);
      client.write("OPEN?");
      assert.equal((await readBytes(server, 5)).toString(), "OPEN?");
      server.write("OPEN!");
      assert.equal((await readBytes(client, 5)).toString(), "OPEN!");
    });

    it("never accepts a client with the wrong key", async () => {
      fx.rec.listener.setPeerKey(c.peer, "right");
      await assert.rejects(
        connectTcp({
          remoteAddress: c.peer,
          remotePort: fx.rec.listener.port,
          password: "wrong",
          timeoutMs: REFUSED_MS,
        }),
        (e: Error) => e instanceof ConnectTimeoutError && /timed out after 800 ms/.test(e.message),
      );
      assert.equal(fx.rec.accepted.length, 0);
    });

    it("never accepts a client without a key while the listener has one, until the key is removed", async () => {
      fx.rec.listener.setPeerKey(c.peer, "right");
      await assert.rejects(
        connectTcp({ remoteAddress: c.peer, remotePort: fx.rec.listener.port, timeoutMs: REFUSED_MS }),
        { code: "ETIMEDOUT" },
      );
      assert.equal(fx.rec.accepted.length, 0);

      fx.rec.listener.setPeerKey(c.peer, undefined);
      fx.clients.push(
        await connectTcp({ remoteAddress: c.peer, remotePort: fx.rec.listener.port, timeoutMs: 5000 }),
      );
      assert.equal((await fx.rec.nextConnection()).remoteAddress, c.peer);
    });

    it("replaces a key in place", async () => {
      fx.rec.listener.setPeerKey(c.peer, "old");
      fx.rec.listener.setPeerKey(c.peer, "new");
      const port = fx.rec.listener.port;
      fx.clients.push(
        await connectTcp({ remoteAddress: c.peer, remotePort: port, password: "new", timeoutMs: 5000 }),
      );
      await fx.rec.nextConnection();
    });

    it("treats removing a key that was never set as done", () => {
      fx.rec.listener.setPeerKey(c.peer, undefined);
    });
  });
}

describe("TCP MD5 argument errors", () => {
  it("refuses keys longer than 80 bytes, naming the option and the peer", async () => {
    const rec = await recordingListener("127.0.0.1");
    try {
      assert.throws(
        () => rec.listener.setPeerKey("127.0.0.2", "x".repeat(81)),
        (e: Error) =>
          e instanceof SockoptError && /TCP_MD5SIG/.test(e.message) && /127\.0\.0\.2/.test(e.message),
      );
    } finally {
      await rec.dispose();
    }
  });

  it("refuses an IPv6 peer key on an IPv4 listener", async () => {
    const rec = await recordingListener("127.0.0.1");
    try {
      assert.throws(() => rec.listener.setPeerKey("fd00::2", "k"), /TCP_MD5SIG for peer fd00::2: IPv6 peer/);
    } finally {
      await rec.dispose();
    }
  });

  it("rejects connectTcp when the key cannot be set", async () => {
    await assert.rejects(
      connectTcp({ remoteAddress: "127.0.0.1", remotePort: 9, password: "y".repeat(100), timeoutMs: 1000 }),
      /cannot set TCP_MD5SIG for peer 127\.0\.0\.1: key is 100 bytes/,
    );
  });
});
