// Proves the lab harness without flatroute: real daemons peer with each other
// (BIRD <-> FRR over IPv4 and IPv6 transport, ExaBGP -> BIRD), prefixes flow,
// run-time withdrawals arrive, and teardown removes the namespaces.
import assert from "node:assert/strict";
import { run } from "../lab/exec";
import { Lab } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { ExabgpPeer } from "../lab/peers/exabgp";
import { FrrPeer } from "../lab/peers/frr";
import { addressPair, pairTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const SESSION_TIMEOUT_MS = 30_000;
const ROUTE_TIMEOUT_MS = 15_000;

describe("lab harness smoke (daemons peering with each other)", function () {
  this.timeout(120_000);
  let lab: Lab;

  before(() => {
    lab = Lab.create();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
  });

  after(async () => {
    const names = lab.namespaces.map((n) => n.name);
    await lab.teardown();
    const left = (await run("ip", ["netns", "list"])).stdout;
    for (const n of names) assert.ok(!left.includes(n), `namespace ${n} survived teardown`);
  });

  it("BIRD and FRR exchange and withdraw IPv4 and IPv6 prefixes over IPv4 and IPv6 sessions", async () => {
    const v4 = addressPair(1, "ipv4");
    const v6 = addressPair(1, "ipv6");
    const t = await pairTopology(lab, "b", "f", [v4, v6]);
    const bird = await BirdPeer.start(t.left, {
      routerId: v4.left,
      asn: 65001,
      routes: ["10.201.0.0/24", "fd00:201::/64"],
      neighbors: [
        { name: "frr4", address: v4.right, localAddress: v4.left, asn: 65002, families: ["ipv4"] },
        {
          name: "frr6",
          address: v6.right,
          localAddress: v6.left,
          asn: 65002,
          families: ["ipv6"],
        },
      ],
    });
    const frr = await FrrPeer.start(t.right, {
      routerId: v4.right,
      asn: 65002,
      routes: ["10.202.0.0/24", "fd00:202::/64"],
      neighbors: [
        { name: "bird4", address: v4.left, localAddress: v4.right, asn: 65001, families: ["ipv4"] },
        {
          name: "bird6",
          address: v6.left,
          localAddress: v6.right,
          asn: 65001,
          families: ["ipv6"],
        },
      ],
    });
    for (const [d, n] of [
      [bird, "frr4"],
      [bird, "frr6"],
      [frr, "bird4"],
      [frr, "bird6"],
    ] as const) {
      await waitFor(() => d.established(n), {
        timeoutMs: SESSION_TIMEOUT_MS,
        what: `${d.kind} session ${n} Established`,
      });
    }
    const has = (p: string) => (list: string[]) => list.includes(p);
    await waitFor(() => bird.receivedPrefixes("frr4", "ipv4"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "BIRD to learn 10.202.0.0/24",
      until: has("10.202.0.0/24"),
    });
    await waitFor(() => bird.receivedPrefixes("frr6", "ipv6"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "BIRD to learn fd00:202::/64",
      until: has("fd00:202::/64"),
    });
    await waitFor(() => frr.receivedPrefixes("bird4", "ipv4"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "FRR to learn 10.201.0.0/24",
      until: has("10.201.0.0/24"),
    });
    await waitFor(() => frr.receivedPrefixes("bird6", "ipv6"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "FRR to learn fd00:201::/64",
      until: has("fd00:201::/64"),
    });

    await frr.withdrawRoute("10.202.0.0/24");
    await bird.withdrawRoute("fd00:201::/64");
    const lacks = (p: string) => (list: string[]) => !list.includes(p);
    await waitFor(() => bird.receivedPrefixes("frr4", "ipv4"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "BIRD to drop 10.202.0.0/24",
      until: lacks("10.202.0.0/24"),
    });
    await waitFor(() => frr.receivedPrefixes("bird6", "ipv6"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "FRR to drop fd00:201::/64",
      until: lacks("fd00:201::/64"),
    });
  });

  it("ExaBGP announces to BIRD and logs what BIRD sends back", async () => {
    const v4 = addressPair(1, "ipv4");
    const t = await pairTopology(lab, "x", "y", [v4]);
    const bird = await BirdPeer.start(t.left, {
      routerId: v4.left,
      asn: 65001,
      routes: ["10.201.0.0/24"],
      neighbors: [
        { name: "exa", address: v4.right, localAddress: v4.left, asn: 4200000001, families: ["ipv4"] },
      ],
    });
    const exa = await ExabgpPeer.start(t.right, {
      routerId: v4.right,
      asn: 4200000001,
      routes: ["10.203.0.0/24"],
      neighbors: [{ name: "bird", address: v4.left, localAddress: v4.right, asn: 65001, families: ["ipv4"] }],
    });
    await waitFor(() => bird.established("exa"), {
      timeoutMs: SESSION_TIMEOUT_MS,
      what: "BIRD session to ExaBGP Established",
    });
    await waitFor(() => exa.established("bird"), {
      timeoutMs: SESSION_TIMEOUT_MS,
      what: "ExaBGP to log the session up",
    });
    await waitFor(() => bird.receivedPrefixes("exa", "ipv4"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "BIRD to learn 10.203.0.0/24",
      until: (l) => l.includes("10.203.0.0/24"),
    });
    await waitFor(() => exa.receivedPrefixes("bird", "ipv4"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "ExaBGP to log 10.201.0.0/24",
      until: (l) => l.includes("10.201.0.0/24"),
    });
    const before = await exa.receivedUpdates("bird");
    await exa.routeRefresh("bird", "ipv4");
    await waitFor(() => exa.receivedUpdates("bird"), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: "BIRD to answer ExaBGP's ROUTE-REFRESH",
      until: (n) => n > before,
    });
  });
});
