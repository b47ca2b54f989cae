import assert from "node:assert/strict";
import { AsPathSegmentType } from "../../../../src/bgp/codec/types";
import type { Rib } from "../../../../src/bgp/rib/rib";
import { FLUSH_AT_ONCE } from "../../../../src/bgp/rib/table-flush";
import { announce, makeRib, peerConfig, RecordingFib, speakerConfig, upPeer, withdraw } from "./harness";

// Well above one slice of work (4 ms) on any machine this runs on, so the flush must yield.
const N = FLUSH_AT_ONCE * 12;
const PREFIXES = Array.from({ length: N }, (_, i) => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`);
const SHARED = PREFIXES.slice(0, 100);

/** Peer a holds N prefixes; peer b a worse path (longer AS path) to the first 100. */
function twoPeers(fib: RecordingFib): { rib: Rib; a: ReturnType<typeof upPeer> } {
  const rib = makeRib(speakerConfig(), { fib });
  const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
  const b = upPeer(rib, peerConfig("b", "10.1.0.2", 65003), "10.0.0.2");
  announce(rib, a, PREFIXES, { nextHop: "10.1.0.1" });
  announce(rib, b, SHARED, {
    nextHop: "10.1.0.2",
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65003, 65010] }],
  });
  assert.equal(rib.loc[0]!.size, N);
  assert.deepEqual(fib.routes.get(SHARED[0]!), ["10.1.0.1"]);
  return { rib, a };
}

describe("RIB: a peer with a large table goes down", () => {
  let rib: Rib | undefined;
  afterEach(() => rib?.stop());

  it("drops its routes a slice at a time, the event loop turning between slices, and ends where a one-go drop would", async () => {
    const fib = new RecordingFib();
    const setup = twoPeers(fib);
    rib = setup.rib;
    rib.peerDown(setup.a.rib);
    assert.equal(setup.a.rib.table(1).size, 0, "the peer's Adj-RIB-In is empty at once");
    assert.ok(rib.flushing > 0, "a table this size is not dropped in one go");
    let turns = 0;
    const deadline = Date.now() + 30_000;
    while (rib.flushing > 0) {
      assert.ok(Date.now() < deadline, `flush not done within 30 s (${rib.flushing} left)`);
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    assert.ok(turns >= 2, `the event loop turned ${turns} times during the flush`);
    assert.equal(rib.loc[0]!.size, SHARED.length, "only peer b's prefixes are left");
    assert.equal(fib.routes.size, SHARED.length);
    for (const p of SHARED) assert.deepEqual(fib.routes.get(p), ["10.1.0.2"], p);
    assert.equal(rib.store.size, 1, "peer a's attribute set is freed with its last route");
  });

  it("drops every route while another peer's prefixes come and go between slices (the index reshapes under its scan)", async () => {
    const fib = new RecordingFib();
    const setup = twoPeers(fib);
    rib = setup.rib;
    const b = rib.allPeers().find((p) => p.name === "b")!;
    const bPeer = { rib: b } as Parameters<typeof announce>[1];
    rib.peerDown(setup.a.rib);
    // Prefixes of their own blocks, spread over the address space: each round adds and removes directory entries.
    const churn = (round: number) =>
      Array.from(
        { length: 64 },
        (_, i) => `${100 + ((round * 64 + i) % 100)}.${(round * 7 + i) & 255}.${i * 4}.0/24`,
      );
    let round = 0;
    const deadline = Date.now() + 30_000;
    while (rib.flushing > 0) {
      assert.ok(Date.now() < deadline, `flush not done within 30 s (${rib.flushing} left)`);
      if (round > 0) withdraw(rib, bPeer, churn(round - 1));
      announce(rib, bPeer, churn(round), { nextHop: "10.1.0.2" });
      round++;
      await new Promise((r) => setImmediate(r));
    }
    withdraw(rib, bPeer, churn(round - 1));
    assert.ok(round >= 2, `the flush took ${round} slices`);
    assert.equal(setup.a.rib.table(1).size, 0);
    assert.equal(rib.loc[0]!.size, SHARED.length, "only peer b's first prefixes are left");
    assert.equal(fib.routes.size, SHARED.length);
    for (const p of SHARED) assert.deepEqual(fib.routes.get(p), ["10.1.0.2"], p);
  });

  it("finishes the flush at once when the peer is removed meanwhile (its slot may be reused)", () => {
    const fib = new RecordingFib();
    const setup = twoPeers(fib);
    rib = setup.rib;
    rib.peerDown(setup.a.rib);
    assert.ok(rib.flushing > 0);
    rib.removePeer(setup.a.rib);
    assert.equal(rib.flushing, 0);
    assert.equal(rib.loc[0]!.size, SHARED.length);
    assert.equal(fib.routes.size, SHARED.length);
  });

  it("drops a small table at once, as before", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), { fib });
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    announce(rib, a, PREFIXES.slice(0, FLUSH_AT_ONCE), { nextHop: "10.1.0.1" });
    rib.peerDown(a.rib);
    assert.equal(rib.flushing, 0);
    assert.equal(rib.loc[0]!.size, 0);
    assert.equal(fib.routes.size, 0);
  });
});
