// The RIB's route table (counters, index lookups, the cursor) against the
// walk it replaces: routeViews + the array queries of route-query.ts, after
// every step of random announce/withdraw/peer-down/restart sequences.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  Safi,
} from "../../../src/bgp/codec/types";
import { parseAddress, parsePrefix } from "../../../src/bgp/prefix";
import { importBase } from "../../../src/bgp/rib/import";
import type { Rib } from "../../../src/bgp/rib/rib";
import { RibRouteTable } from "../../../src/bgp/route-table";
import { routeViews } from "../../../src/bgp/route-view";
import type { RouteFilter, RouteLineAttrs, RouteTable, RouteView } from "../../../src/bgp/speaker-api";
import { selectRoutes, walkCounts } from "../../../src/control/route-query";
import { type FakePeer, makeRib, peerConfig, speakerConfig, upPeer } from "./rib/harness";

const V4 = [
  "10.0.0.0/8",
  "10.1.0.0/16",
  "10.1.2.0/24",
  "10.1.2.128/25",
  "10.1.3.0/24",
  "10.1.4.0/24",
  "10.2.0.0/24",
  "192.168.0.0/24",
  "0.0.0.0/0",
];
const V6 = ["fd00::/8", "fd00:1::/32", "fd00:1:2::/48", "2001:db8::/32"];
const POOL = [...V4, ...V6];
const TARGETS = [
  "10.1.2.200",
  "10.1.2.5",
  "10.1.3.1",
  "10.9.9.9",
  "192.168.0.1",
  "11.0.0.1",
  "fd00:1:2::1",
  "fd00:9::1",
  "2001:db8::1",
  "::1",
];
const FILTERS: RouteFilter[] = [
  {},
  { family: "ipv4" },
  { family: "ipv6" },
  { protocol: "a" },
  { protocol: "static" },
  { best: true },
  { multipath: true },
  { best: true, protocol: "b" },
];

type Op =
  | { kind: "announce"; peer: number; prefixes: string[]; hop: number; med: number; run: boolean }
  | { kind: "withdraw"; peer: number; prefixes: string[] }
  | { kind: "down"; peer: number; keepStale: boolean }
  | { kind: "eor"; peer: number }
  | { kind: "originate"; prefixes: string[] };

const subset = fc.subarray(POOL, { minLength: 1, maxLength: 6 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("announce" as const),
      peer: fc.nat(2),
      prefixes: subset,
      hop: fc.nat(1),
      med: fc.nat(1),
      run: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("withdraw" as const), peer: fc.nat(2), prefixes: subset }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("down" as const), peer: fc.nat(2), keepStale: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("eor" as const), peer: fc.nat(2) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("originate" as const),
      prefixes: fc.subarray(POOL, { maxLength: 2 }),
    }),
  },
);

/** Peers a and c share an AS (so their equal paths form ECMP sets); b is another AS. */
const PEERS = [
  { name: "a", address: "10.1.0.1", asn: 65002 },
  { name: "b", address: "10.1.0.2", asn: 65003 },
  { name: "c", address: "10.1.0.3", asn: 65002 },
];

function announce(rib: Rib, peer: FakePeer, o: Extract<Op, { kind: "announce" }>): void {
  const n = PEERS[o.peer]!;
  const v4 = o.prefixes.filter((p) => !p.includes(":")).map(parsePrefix);
  const v6 = o.prefixes.filter((p) => p.includes(":")).map(parsePrefix);
  const attributes = {
    origin: Origin.Igp,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [n.asn] }],
    med: o.med,
  };
  const hop4 = `10.1.0.${o.peer + 1 + o.hop * 10}`;
  if (o.run && v4.length > 0) {
    // The walker's path (importIpv4Run): prefixes as numbers, one run.
    const batch = rib.beginImport(peer.rib, Afi.IPv4, importBase(attributes, hop4));
    const addresses = new Int32Array(v4.length);
    const lengths = new Uint8Array(v4.length);
    v4.forEach((p, i) => {
      addresses[i] = (p.address[0]! << 24) | (p.address[1]! << 16) | (p.address[2]! << 8) | p.address[3]!;
      lengths[i] = p.length;
    });
    rib.importIpv4Run(batch, addresses, lengths, v4.length);
    rib.endImport(batch);
  } else if (v4.length > 0) {
    rib.applyUpdate(peer.rib, {
      type: MessageType.Update,
      withdrawn: [],
      attributes: { ...attributes, nextHop: hop4 },
      nlri: v4,
    });
  }
  if (v6.length > 0) {
    rib.applyUpdate(peer.rib, {
      type: MessageType.Update,
      withdrawn: [],
      attributes: {
        ...attributes,
        mpReach: { afi: Afi.IPv6, safi: Safi.Unicast, nextHop: `fd00::${o.peer + 1 + o.hop * 10}`, nlri: v6 },
      },
      nlri: [],
    });
  }
}

function withdraw(rib: Rib, peer: FakePeer, prefixes: string[]): void {
  const v4 = prefixes.filter((p) => !p.includes(":")).map(parsePrefix);
  const v6 = prefixes.filter((p) => p.includes(":")).map(parsePrefix);
  rib.applyUpdate(peer.rib, {
    type: MessageType.Update,
    withdrawn: v4,
    attributes: v6.length > 0 ? { mpUnreach: { afi: Afi.IPv6, safi: Safi.Unicast, withdrawn: v6 } } : {},
    nlri: [],
  });
}

function drain(table: RouteTable, filter: RouteFilter, work: number): RouteView[] {
  const cursor = table.cursor(filter);
  const out: RouteView[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    const part = cursor.next(work);
    if (part === undefined) return out;
    out.push(...part);
  }
  throw new Error("cursor did not end");
}

function drainJson(table: RouteTable, filter: RouteFilter, work: number): string[] {
  const cursor = table.cursor(filter);
  const out: string[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    const part = cursor.nextJson(work);
    if (part === undefined) return out;
    out.push(...part);
  }
  throw new Error("cursor did not end");
}

/** What a RouteSink is handed, as a view's fields: the text listing's path (nextTo). */
function drainSink(table: RouteTable, filter: RouteFilter, work: number): unknown[] {
  const cursor = table.cursor(filter);
  const out: unknown[] = [];
  const sink = {
    route(
      family: string,
      network: number | string,
      peer: string,
      a: RouteLineAttrs,
      best: boolean,
      sinceMs: number,
    ) {
      let prefix = network;
      if (typeof network === "number") {
        const address = Math.floor(network / 64);
        prefix = `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}/${network - address * 64}`;
      }
      out.push({
        family,
        prefix,
        peer,
        nextHop: a.nextHop,
        asPath: a.asPath,
        origin: a.origin,
        best,
        sinceMs,
      });
    },
  };
  for (let guard = 0; guard < 100_000; guard++) if (!cursor.nextTo(work, sink)) return out;
  throw new Error("cursor did not end");
}

function sinkFields(r: RouteView): unknown {
  const { family, prefix, peer, nextHop, asPath, origin, best } = r;
  return { family, prefix, peer, nextHop, asPath, origin, best, sinceMs: Date.parse(r.since) };
}

function check(rib: Rib, table: RouteTable, startedAt: Date, work: number): void {
  const all = routeViews(rib, startedAt);
  assert.deepEqual(
    table.counts(),
    walkCounts(
      all,
      rib.allPeers().map((p) => p.name),
    ),
    "counters",
  );
  for (const filter of FILTERS) {
    const want = selectRoutes(all, filter);
    assert.deepEqual(drain(table, filter, work), want, `cursor ${JSON.stringify(filter)}`);
    // The socket's path: the same routes as JSON text, byte for byte what JSON.stringify makes.
    assert.deepEqual(
      drainJson(table, filter, work),
      want.map((r) => JSON.stringify(r)),
      `cursor JSON ${JSON.stringify(filter)}`,
    );
    assert.deepEqual(
      drainSink(table, filter, work),
      want.map(sinkFields),
      `cursor sink ${JSON.stringify(filter)}`,
    );
  }
  for (const prefix of POOL) {
    assert.deepEqual(table.network(parsePrefix(prefix)), selectRoutes(all, { prefix }), `network ${prefix}`);
  }
  for (const target of [...TARGETS, "10.1.2.0/23", "10.1.2.128/26"]) {
    const [addr, len] = target.split("/");
    const address = parseAddress(addr!);
    const maxLength = len === undefined ? address.length * 8 : Number(len);
    assert.deepEqual(
      table.longestMatch(address, maxLength),
      selectRoutes(all, { for: target }),
      `longest match ${target}`,
    );
  }
}

describe("RibRouteTable (show route from the index and counters)", () => {
  it("agrees with a walk of the table through announce, withdraw, peer down (stale or not) and End-of-RIB", () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 5 }),
        (ops, work) => {
          const rib = makeRib(
            speakerConfig({ gracefulRestart: { enabled: true, restartTime: 120 }, maxPaths: 4 }),
          );
          try {
            const startedAt = new Date("2026-01-02T00:00:00Z");
            const table = new RibRouteTable(rib, startedAt);
            const peers = PEERS.map((p, i) =>
              upPeer(rib, peerConfig(p.name, p.address, p.asn), `10.0.0.${i + 1}`),
            );
            for (const o of ops) {
              const peer = o.kind === "originate" ? undefined : peers[o.peer]!;
              if (o.kind === "announce") announce(rib, peer!, o);
              else if (o.kind === "withdraw") withdraw(rib, peer!, o.prefixes);
              else if (o.kind === "eor") {
                rib.endOfRib(peer!.rib, Afi.IPv4);
                rib.endOfRib(peer!.rib, Afi.IPv6);
              } else if (o.kind === "down") {
                rib.peerDown(peer!.rib, { keepStale: o.keepStale });
                const p = PEERS[o.peer]!;
                peers[o.peer] = upPeerAgain(rib, peer!, `10.0.0.${o.peer + 1}`, p.address);
              } else rib.setOriginated(o.prefixes.map(parsePrefix));
              check(rib, table, startedAt, work);
            }
          } finally {
            rib.stop();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("walks a table that changes between cursor steps without losing the routes held throughout", () => {
    const rib = makeRib(speakerConfig());
    try {
      const table = new RibRouteTable(rib, new Date());
      const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
      const kept = Array.from({ length: 3000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
      const churn = Array.from({ length: 3000 }, (_, i) => `11.${(i >> 8) & 255}.${i & 255}.0/24`);
      announce(rib, a, { kind: "announce", peer: 0, prefixes: kept, hop: 0, med: 0, run: true });
      const cursor = table.cursor({});
      const seen: string[] = [];
      let step = 0;
      for (;;) {
        const part = cursor.next(4);
        if (part === undefined) break;
        seen.push(...part.map((r) => r.prefix));
        // Blocks of the index come and go (growth and backward-shift deletions) while the walk goes on.
        const batch = churn.slice((step * 50) % churn.length, ((step * 50) % churn.length) + 50);
        if (step % 2 === 0)
          announce(rib, a, { kind: "announce", peer: 0, prefixes: batch, hop: 0, med: 0, run: true });
        else withdraw(rib, a, batch);
        step++;
      }
      const held = seen.filter((p) => p.startsWith("10."));
      assert.deepEqual(
        held,
        selectRoutes(routeViews(rib, new Date()), {})
          .map((r) => r.prefix)
          .filter((p) => p.startsWith("10.")),
      );
      assert.equal(new Set(seen).size, seen.length, "no network twice");
    } finally {
      rib.stop();
    }
  });
});

/** The session came back: the same RibPeer, up again with a fresh export target. */
function upPeerAgain(rib: Rib, old: FakePeer, routerId: string, address: string): FakePeer {
  const fake: FakePeer = { rib: old.rib, updates: [], eor: [], received: new Map() };
  rib.peerUp(old.rib, {
    families: [Afi.IPv4, Afi.IPv6],
    caps: FOUR_OCTET_CAPS,
    routerId,
    routeRefresh: true,
    send() {},
    sendEndOfRib() {},
    selfNextHop: (afi) => (afi === Afi.IPv4 ? { nextHop: address } : { nextHop: "fd00::100" }),
  });
  return fake;
}
