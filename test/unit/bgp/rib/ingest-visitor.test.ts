import assert from "node:assert/strict";
import { decodeMessage, encodeMessage, UpdateWalker } from "../../../../src/bgp/codec";
import {
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type PathAttributes,
  type UpdateMessage,
} from "../../../../src/bgp/codec/types";
import { parsePrefix } from "../../../../src/bgp/prefix";
import { ImportHold } from "../../../../src/bgp/rib/import-hold";
import { RibUpdateVisitor } from "../../../../src/bgp/rib/ingest-visitor";
import type { Rib } from "../../../../src/bgp/rib/rib";
import { routeViews } from "../../../../src/bgp/route-view";
import { LOCAL_ASN, makeRib, peerConfig, RecordingFib, speakerConfig, upPeer } from "./harness";

const seq = (...asns: number[]) => [{ type: AsPathSegmentType.AsSequence, asns }];

function update(withdrawn: string[], nlri: string[], attrs: PathAttributes = {}): Uint8Array {
  const m: UpdateMessage = {
    type: MessageType.Update,
    withdrawn: withdrawn.map(parsePrefix),
    attributes: nlri.length > 0 ? { origin: Origin.Igp, asPath: seq(65002), ...attrs } : {},
    nlri: nlri.map(parsePrefix),
  };
  return encodeMessage(m, FOUR_OCTET_CAPS);
}

/** Everything observable about a RIB's routes: show-level views and what the FIB got. */
function snapshot(rib: Rib, fib: RecordingFib): unknown {
  const views = routeViews(rib, new Date(0)).map((v) => ({ ...v, since: undefined }));
  return { views, fib: [...fib.routes].sort(), store: rib.store.size };
}

describe("RibUpdateVisitor (the RIB's end of the UPDATE fast path)", () => {
  const ribs: Rib[] = [];
  afterEach(() => {
    for (const r of ribs.splice(0)) r.stop();
  });

  function pair() {
    const fibFast = new RecordingFib();
    const fibClassic = new RecordingFib();
    const fast = makeRib(speakerConfig(), { fib: fibFast, now: () => 0 });
    const classic = makeRib(speakerConfig(), { fib: fibClassic, now: () => 0 });
    ribs.push(fast, classic);
    const all = { name: "all", terms: [], defaultAction: "accept" as const };
    const cfg = (name: string, addr: string) => peerConfig(name, addr, 65002, { importPolicy: all });
    return {
      fast,
      classic,
      fibFast,
      fibClassic,
      fastPeers: [
        upPeer(fast, cfg("a", "10.1.0.1"), "10.0.0.1"),
        upPeer(fast, cfg("b", "10.1.0.2"), "10.0.0.2"),
      ],
      classicPeers: [
        upPeer(classic, cfg("a", "10.1.0.1"), "10.0.0.1"),
        upPeer(classic, cfg("b", "10.1.0.2"), "10.0.0.2"),
      ],
    };
  }

  it("imports exactly what the classic decode-and-apply path imports", () => {
    const t = pair();
    const walkers = [new UpdateWalker(FOUR_OCTET_CAPS), new UpdateWalker(FOUR_OCTET_CAPS)];
    const visitors = t.fastPeers.map((p) => new RibUpdateVisitor(t.fast, p.rib, new ImportHold()));
    const frames: [number, Uint8Array][] = [
      [0, update([], ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"], { nextHop: "10.1.0.1" })],
      [1, update([], ["10.244.1.0/24", "10.244.3.0/24"], { nextHop: "10.1.0.2" })],
      // A longer path from b: a keeps 10.244.1.0/24 (and ECMP drops b).
      [1, update([], ["10.244.1.0/24"], { nextHop: "10.1.0.2", asPath: seq(65002, 65003) })],
      // A loop through our own AS: treated as a withdrawal of the earlier route.
      [0, update([], ["10.244.2.0/24"], { nextHop: "10.1.0.1", asPath: seq(65002, LOCAL_ASN) })],
      [0, update(["10.244.0.0/24"], ["10.244.9.0/24"], { nextHop: "10.1.0.1", med: 5 })],
      [1, update(["10.244.3.0/24", "10.244.7.0/24"], [])],
    ];
    for (const [i, frame] of frames) {
      assert.equal(walkers[i]!.walk(frame, visitors[i]!), true);
      const { message } = decodeMessage(frame, FOUR_OCTET_CAPS);
      assert.equal(message.type, MessageType.Update);
      t.classic.applyUpdate(t.classicPeers[i]!.rib, message as UpdateMessage);
      assert.deepEqual(snapshot(t.fast, t.fibFast), snapshot(t.classic, t.fibClassic));
    }
    assert.equal(t.fast.loc[0]!.size, 2);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(t.fastPeers[i]!.rib.counters, t.classicPeers[i]!.rib.counters);
    }
    assert.equal(t.fastPeers[0]!.rib.counters.filtered, 1);
  });

  it("ignores a peer's UPDATEs while it is held down", () => {
    const t = pair();
    const hold = new ImportHold();
    const visitor = new RibUpdateVisitor(t.fast, t.fastPeers[0]!.rib, hold);
    const walker = new UpdateWalker(FOUR_OCTET_CAPS);
    walker.walk(update([], ["10.244.0.0/24"], { nextHop: "10.1.0.1" }), visitor);
    hold.maxPrefix = { message: "Maximum prefix limit exceeded" };
    walker.walk(update(["10.244.0.0/24"], ["10.244.1.0/24"], { nextHop: "10.1.0.1" }), visitor);
    assert.deepEqual(t.fastPeers[0]!.rib.table(1).keyList().length, 1);
    assert.equal(t.fast.loc[0]!.size, 1);
  });
});
