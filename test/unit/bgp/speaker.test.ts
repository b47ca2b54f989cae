import assert from "node:assert/strict";
import pino from "pino";
import type { PeerConfig } from "../../../src/bgp/config";
import { parsePrefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { waitFor } from "../../lab/wait";
import { DUAL_STACK, loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";

// Two speakers on loopback addresses of this host (127.0.0.1 and 127.0.0.2):
// the whole speaker (listener, sessions, origination, Adj-RIB-In) without namespaces.
const log = pino({ level: "silent" });
function peer(name: string, address: string, asn: number, port: number, extra: Partial<PeerConfig> = {}) {
  return loopbackPeer(name, address, asn, port, { families: DUAL_STACK, ...extra });
}

function speaker(
  routerId: string,
  asn: number,
  listen: string,
  port: number,
  prefixes: string[],
  peers: PeerConfig[],
) {
  return new Speaker(
    loopbackSpeakerConfig({ routerId, asn, listen, port, prefixes, peers, gracefulRestart: true }),
    log,
  );
}

describe("speaker over loopback", function () {
  this.timeout(30000);
  const portA = 20000 + Math.floor(Math.random() * 20000);
  const portB = portA + 1;
  let a: Speaker;
  let b: Speaker;

  afterEach(async () => {
    await Promise.allSettled([a?.stop("test over"), b?.stop("test over")]);
  });

  it("establishes eBGP, exchanges originated prefixes and applies withdrawals on reconfigure", async () => {
    const bPeers = [peer("to_a", "127.0.0.1", 65001, portA, { passive: true, localAddress: "127.0.0.2" })];
    a = speaker(
      "10.0.0.1",
      65001,
      "127.0.0.1",
      portA,
      ["10.244.1.0/24", "10.244.11.0/24"],
      [peer("to_b", "127.0.0.2", 65002, portB, { localAddress: "127.0.0.1" })],
    );
    b = speaker("10.0.0.2", 65002, "127.0.0.2", portB, ["10.244.2.0/24"], bPeers);
    await b.start();
    await a.start();
    await waitFor(() => a.peers()[0]?.bgpState, {
      timeoutMs: 10000,
      what: "A Established",
      until: (s) => s === "Established",
    });
    const fromA = await waitFor(
      () =>
        b
          .routes()
          .filter((r) => r.peer === "to_a")
          .map((r) => r.prefix)
          .sort(),
      {
        timeoutMs: 5000,
        what: "B learns A's prefixes",
        until: (p) => p.length === 2,
      },
    );
    assert.deepEqual(fromA, ["10.244.1.0/24", "10.244.11.0/24"]);
    const route = b.routes().find((r) => r.prefix === "10.244.1.0/24")!;
    assert.equal(route.nextHop, "127.0.0.1");
    assert.deepEqual(route.asPath, [65001]);
    await waitFor(
      () =>
        a
          .routes()
          .filter((r) => r.peer === "to_b")
          .map((r) => r.prefix),
      {
        timeoutMs: 5000,
        what: "A learns B's prefix",
        until: (p) => p.length === 1 && p[0] === "10.244.2.0/24",
      },
    );

    // Withdraw one prefix by reconfiguring: the session must stay up (same uptime).
    const since = a.peers()[0]!.since;
    await a.reconfigure({
      routerId: "10.0.0.1",
      asn: 65001,
      listen: [{ address: "127.0.0.1", port: portA }],
      prefixes: [parsePrefix("10.244.1.0/24")],
      peers: [peer("to_b", "127.0.0.2", 65002, portB, { localAddress: "127.0.0.1" })],
      gracefulRestart: { enabled: true, restartTime: 120 },
    });
    await waitFor(
      () =>
        b
          .routes()
          .filter((r) => r.peer === "to_a")
          .map((r) => r.prefix),
      {
        timeoutMs: 5000,
        what: "B sees the withdrawal",
        until: (p) => p.length === 1 && p[0] === "10.244.1.0/24",
      },
    );
    assert.equal(a.peers()[0]!.since, since);
    assert.equal(a.peers()[0]!.bgpState, "Established");
  });

  it("advertises graceful restart as the config says after a reconfigure turns it off, and again after it turns it on", async () => {
    const bPeers = [peer("to_a", "127.0.0.1", 65001, portA, { passive: true, localAddress: "127.0.0.2" })];
    const aPeers = [peer("to_b", "127.0.0.2", 65002, portB, { localAddress: "127.0.0.1" })];
    a = speaker("10.0.0.1", 65001, "127.0.0.1", portA, [], aPeers);
    b = speaker("10.0.0.2", 65002, "127.0.0.2", portB, [], bPeers);
    await b.start();
    await a.start();
    // What B heard in A's OPEN: with graceful restart off the capability stays, "aware" only
    // (restart time 0, no families: BIRD's default), so the families and time are what tell.
    const heardAtB = (what: string, until: (gr: { restartTime: number; families: number }) => boolean) =>
      waitFor(
        () => {
          const runtime = b["peersByName"].get("to_a");
          const gr =
            runtime?.session.state === "Established"
              ? runtime.session.negotiated?.peerGracefulRestart
              : undefined;
          return gr ? { restartTime: gr.restartTime, families: gr.families.length } : undefined;
        },
        { timeoutMs: 15000, what, until: (g) => g !== undefined && until(g) },
      );
    await heardAtB(
      "A's graceful restart with its families",
      (g) => g.restartTime === 120 && g.families === 2,
    );
    const config = (enabled: boolean) => ({
      routerId: "10.0.0.1",
      asn: 65001,
      listen: [{ address: "127.0.0.1", port: portA }],
      prefixes: [],
      peers: aPeers,
      gracefulRestart: { enabled, restartTime: 120 },
    });
    await a.reconfigure(config(false));
    await heardAtB(
      "the session back with A only graceful-restart aware",
      (g) => g.restartTime === 0 && g.families === 0,
    );
    await a.reconfigure(config(true));
    await heardAtB(
      "the session back with A's graceful restart again",
      (g) => g.restartTime === 120 && g.families === 2,
    );
  });

  it("rejects connections from unconfigured addresses and reports the peer's state", async () => {
    a = speaker(
      "10.0.0.1",
      65001,
      "127.0.0.1",
      portA,
      [],
      [peer("to_b", "127.0.0.9", 65002, portB, { passive: true })],
    );
    b = speaker(
      "10.0.0.2",
      65002,
      "127.0.0.2",
      portB,
      [],
      [peer("to_a", "127.0.0.1", 65001, portA, { localAddress: "127.0.0.2" })],
    );
    await a.start();
    await b.start();
    const info = await waitFor(() => b.peers()[0]?.info, {
      timeoutMs: 10000,
      what: "B sees its connection refused with a Cease",
      until: (i) => typeof i === "string" && /Connection rejected/i.test(i),
    });
    assert.match(info!, /Connection rejected/);
    assert.equal(a.peers()[0]!.bgpState, "Active");
  });
});
