import assert from "node:assert/strict";
import pino from "pino";
import { Speaker } from "../../../src/bgp/speaker";
import { holdsFor, waitFor } from "../../lab/wait";
import { loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";

// The speaker's BFD doors over loopback (127.0.0.1 and 127.0.0.2): bfdDown
// takes the session and its routes down at once and holds it down (A's
// reconnects are refused) until bfdUp.
describe("speaker: BGP session held down by BFD", function () {
  this.timeout(30000);
  const portA = 20000 + Math.floor(Math.random() * 20000);
  const portB = portA + 1;
  let a: Speaker;
  let b: Speaker;

  afterEach(async () => {
    await Promise.allSettled([a?.stop("test over"), b?.stop("test over")]);
  });

  it("drops the peer's routes at once on bfdDown, stays down, and comes back on bfdUp", async () => {
    const silent = pino({ level: "silent" });
    a = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.1",
        asn: 65001,
        listen: "127.0.0.1",
        port: portA,
        prefixes: ["10.244.1.0/24", "10.244.2.0/24"],
        peers: [
          loopbackPeer("to_b", "127.0.0.2", 65002, portB, {
            localAddress: "127.0.0.1",
            connectRetryMin: 0.1,
            connectRetryMax: 0.2,
          }),
        ],
      }),
      silent,
    );
    b = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.2",
        asn: 65002,
        listen: "127.0.0.2",
        port: portB,
        peers: [
          loopbackPeer("to_a", "127.0.0.1", 65001, portA, {
            localAddress: "127.0.0.2",
            bfd: { minRxMs: 300, minTxMs: 300, multiplier: 3 },
          }),
        ],
      }),
      silent,
    );
    await b.start();
    await a.start();
    const fromA = () => b.routes().filter((r) => r.peer === "to_a").length;
    await waitFor(fromA, { timeoutMs: 10_000, what: "A's routes at B", until: (n) => n === 2 });

    b.bfdDown("to_a", "BFD session down: control detection time expired");
    // Withdrawn in the same turn: nothing waits for the TCP close.
    assert.equal(fromA(), 0);
    const row = () => b.peers().find((p) => p.name === "to_a")!;
    assert.notEqual(row().bgpState, "Established");
    assert.equal(row().lastError, "BFD session down: control detection time expired");
    // A keeps trying every 0.1-0.2 s; B refuses while BFD is down.
    await holdsFor(() => row().bgpState, {
      windowMs: 1000,
      what: "to_a held down",
      holds: (s) => s !== "Established",
    });

    b.bfdUp("to_a");
    await waitFor(fromA, { timeoutMs: 10_000, what: "A's routes back at B", until: (n) => n === 2 });
    assert.equal(row().bgpState, "Established");
  });
});
