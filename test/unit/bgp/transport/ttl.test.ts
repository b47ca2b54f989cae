import assert from "node:assert/strict";
import { connectTcp, SockoptError, setMinTtl, setTtl, ttlOptions } from "../../../../src/bgp/transport";
import {
  IP_MINTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_MINHOPCOUNT,
  IPV6_UNICAST_HOPS,
} from "../../../../src/bgp/transport/sockopt";
import { readBytes, readSockopt, recordingListener, useRecordingListener } from "./helpers";

const v4 = { ttl: [IPPROTO_IP, IP_TTL], minTtl: [IPPROTO_IP, IP_MINTTL] } as const;
const v6 = { ttl: [IPPROTO_IPV6, IPV6_UNICAST_HOPS], minTtl: [IPPROTO_IPV6, IPV6_MINHOPCOUNT] } as const;

const cases = [
  { name: "IPv4", listen: "127.0.0.1", peer: "127.0.0.1", opts: v4 },
  { name: "IPv6", listen: "::1", peer: "::1", opts: v6 },
  // A dual-stack socket talks to IPv4 peers with the IPv4 options.
  { name: "IPv4 peer on a dual-stack listener", listen: "::", peer: "127.0.0.1", opts: v4 },
];

for (const c of cases) {
  describe(`TTL options on loopback: ${c.name}`, () => {
    const fx = useRecordingListener(c.listen);

    it("connectTcp puts ttl and minTtl on the socket before connecting", async () => {
      // Loopback does not decrement the TTL; the listener answers with the
      // system default (64), which passes a minimum of 60.
      const client = await connectTcp({
        remoteAddress: c.peer,
        remotePort: fx.rec.listener.port,
        ttl: 7,
        minTtl: 60,
        timeoutMs: 5000,
      });
      fx.clients.push(client);
      assert.equal(readSockopt(client, c.opts.ttl), 7);
      assert.equal(readSockopt(client, c.opts.minTtl), 60);
      const server = await fx.rec.nextConnection();
      client.write("x");
      await readBytes(server, 1);
    });

    it("setTtl and setMinTtl change an accepted socket", async () => {
      fx.clients.push(
        await connectTcp({ remoteAddress: c.peer, remotePort: fx.rec.listener.port, timeoutMs: 5000 }),
      );
      const server = await fx.rec.nextConnection();
      setTtl(server, 255);
      setMinTtl(server, 254);
      assert.equal(readSockopt(server, c.opts.ttl), 255);
      assert.equal(readSockopt(server, c.opts.minTtl), 254);
      setMinTtl(server, 0);
      assert.equal(readSockopt(server, c.opts.minTtl), 0);
    });

    // GTSM on the listening socket applies to SYNs. Loopback keeps the TTL the
    // sender chose, so TTL 254 is one hop too far for a minimum of 255.
    it("a listener minimum TTL of 255 refuses SYNs sent with TTL 254 and admits TTL 255", async () => {
      fx.rec.listener.setMinTtl(255);
      const port = fx.rec.listener.port;
      await assert.rejects(
        connectTcp({ remoteAddress: c.peer, remotePort: port, ttl: 254, timeoutMs: 800 }),
        {
          code: "ETIMEDOUT",
        },
      );
      assert.equal(fx.rec.accepted.length, 0);
      fx.clients.push(
        await connectTcp({ remoteAddress: c.peer, remotePort: port, ttl: 255, timeoutMs: 5000 }),
      );
      const server = await fx.rec.nextConnection();
      assert.equal(readSockopt(server, c.opts.minTtl), 255, "accepted sockets inherit the minimum");
    });
  });
}

describe("TTL option errors", () => {
  it("rejects out-of-range values, naming the option and the peer", async () => {
    await assert.rejects(
      connectTcp({ remoteAddress: "127.0.0.1", remotePort: 9, ttl: 0, timeoutMs: 1000 }),
      (e: Error) =>
        e instanceof SockoptError &&
        e.message === "cannot set IP_TTL for peer 127.0.0.1: value 0 outside 1..255",
    );
    await assert.rejects(
      connectTcp({ remoteAddress: "::1", remotePort: 9, minTtl: 256, timeoutMs: 1000 }),
      /cannot set IPV6_MINHOPCOUNT for peer ::1: value 256 outside 0\.\.255/,
    );
  });

  it("refuses a socket that has been closed", async () => {
    const rec = await recordingListener("127.0.0.1");
    const client = await connectTcp({
      remoteAddress: "127.0.0.1",
      remotePort: rec.listener.port,
      timeoutMs: 5000,
    });
    const server = await rec.nextConnection();
    client.destroy();
    server.destroy();
    await rec.dispose();
    assert.throws(() => setTtl(server, 64), /has no open file descriptor|EBADF/);
  });

  it("propagates connection refusals with their code", async () => {
    const rec = await recordingListener("127.0.0.1");
    const port = rec.listener.port;
    await rec.dispose();
    await assert.rejects(connectTcp({ remoteAddress: "127.0.0.1", remotePort: port, timeoutMs: 5000 }), {
      code: "ECONNREFUSED",
    });
  });

  it("rejects addresses that are not IP literals or mix families", async () => {
    await assert.rejects(
      connectTcp({ remoteAddress: "peer.example", remotePort: 179, timeoutMs: 1000 }),
      /remote address "peer.example" is not an IP address/,
    );
    await assert.rejects(
      connectTcp({ remoteAddress: "::1", remotePort: 179, localAddress: "127.0.0.1", timeoutMs: 1000 }),
      /different IP families/,
    );
  });
});

describe("ttlOptions (which TTLs a peer needs)", () => {
  it("sends TTL 1 to single-hop eBGP peers and 255 to iBGP peers", () => {
    assert.deepEqual(ttlOptions({ ebgp: true }), { ttl: 1 });
    assert.deepEqual(ttlOptions({ ebgp: false }), { ttl: 255 });
  });
  it("uses the multihop TTL when configured", () => {
    assert.deepEqual(ttlOptions({ ebgp: true, multihop: 3 }), { ttl: 3 });
  });
  it("sends 255 and requires 256 - hops under GTSM (RFC 5082)", () => {
    assert.deepEqual(ttlOptions({ ebgp: true, ttlSecurity: 1 }), { ttl: 255, minTtl: 255 });
    assert.deepEqual(ttlOptions({ ebgp: true, multihop: 5, ttlSecurity: 2 }), { ttl: 255, minTtl: 254 });
    assert.throws(() => ttlOptions({ ebgp: true, ttlSecurity: 0 }), /1\.\.254/);
  });
});
