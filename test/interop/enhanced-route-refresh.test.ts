// Enhanced route refresh (RFC 7313) against BIRD 2, both roles, read from
// BIRD's packet log and flatroute's log and tables:
// - receiving: BIRD re-feeds flatroute after an export filter change framed
//   by BoRR/EoRR; flatroute marks BIRD's routes stale at BoRR, keeps what
//   BIRD sends again, drops the rest by EoRR, and sends nothing back for them
//   (BoRR and EoRR each used to trigger a full resend). BIRD 2 withdraws what
//   its new filter rejects inside the re-feed, so its EoRR finds nothing left
//   to sweep; the sweep itself is covered against a scripted peer
//   (test/unit/bgp/speaker-enhanced-refresh.test.ts);
// - sending: `birdc reload in` makes BIRD send ROUTE-REFRESH; flatroute
//   answers BoRR, its routes, EoRR, and BIRD keeps them.
// And against FRR 8 (its neighbor-events debug log):
// - sending: `clear bgp ... soft in` makes FRR send ROUTE-REFRESH; FRR marks
//   flatroute's routes stale at flatroute's BoRR and stops its timer at EoRR;
// - receiving: flatroute's own ROUTE-REFRESH (`reload`) is answered by FRR
//   with BoRR, its routes, EoRR, and flatroute keeps them, fresh.
import assert from "node:assert/strict";
import { Lab } from "../lab/netns";
import { BirdPeer, birdProtocolName } from "../lab/peers/bird";
import { FlatrouteAgent } from "../lab/peers/flatroute";
import { FrrPeer } from "../lab/peers/frr";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const FIRST = "10.207.1.0/24";
const SECOND = "10.207.2.0/24";
const OWN = "10.244.1.0/24";
const TIMEOUT_MS = 45_000;

const count = (text: string, re: RegExp): number => [...text.matchAll(new RegExp(re, "g"))].length;

describe("enhanced route refresh (RFC 7313) against BIRD", function () {
  this.timeout(120_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let bird: BirdPeer;
  const name = birdProtocolName("fr");
  const logs = () => lab.logs(10_000_000);

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "e", ["b"]);
    const link = t.links[0]!;
    bird = await BirdPeer.start(
      t.spokes[0]!,
      {
        routerId: link.right,
        asn: BIRD_ASN,
        neighbors: [
          { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
        ],
        routes: [FIRST, SECOND],
      },
      { debugPackets: true },
    );
    agent = await FlatrouteAgent.start(t.hub, {
      routerId: link.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [OWN],
      peers: [{ name: "bird", address: link.right, asn: BIRD_ASN, families: ["ipv4"] }],
      gracefulRestart: { enabled: false, restartTime: 120 },
    });
    await waitFor(() => bird.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD to learn flatroute's prefix",
      until: (ps) => ps.includes(OWN),
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(JSON.stringify(await agent?.routes().catch(String)));
      console.log(await bird?.birdc(["show", "protocols", "all"]).catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  const birdRoutes = async () =>
    (await agent.routes())
      .filter((r) => r.peer === "bird")
      .map((r) => `${r.prefix}${r.stale ? " stale" : ""}`)
      .sort();

  it("negotiates the capability on both sides", async () => {
    const peer = await agent.protocol("bird");
    assert.ok(JSON.stringify(peer).includes("enhanced route refresh"), JSON.stringify(peer));
    const out = await bird.birdc(["show", "protocols", "all", name]);
    assert.match(out, /Enhanced refresh/);
  });

  it("receiving: BIRD's re-feed between BoRR and EoRR leaves exactly what it sends again", async () => {
    await waitFor(birdRoutes, {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to hold both of BIRD's prefixes",
      until: (ps) => ps.join() === [FIRST, SECOND].join(),
    });
    const since = (await agent.protocol("bird"))?.since;
    const refreshesBefore = count(logs(), /Got ROUTE-REFRESH/);
    const updatesBefore = await bird.receivedUpdates("fr");

    await bird.setBgpExport(`where net != ${SECOND}`);

    await waitFor(() => logs(), {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to sweep at BIRD's End-of-RR",
      until: (l) => /stale routes swept/.test(l),
    });
    assert.match(logs(), /Sending BEGIN-OF-RR/);
    assert.match(logs(), /Sending END-OF-RR/);
    assert.match(logs(), /peer's routes marked stale/);
    assert.deepEqual(await birdRoutes(), [FIRST], "what BIRD sent again, fresh; the other gone");
    // flatroute answered nothing: no table went back to BIRD for its BoRR or EoRR.
    assert.equal(count(logs(), /Got ROUTE-REFRESH/), refreshesBefore);
    assert.equal(await bird.receivedUpdates("fr"), updatesBefore);
    assert.equal((await agent.protocol("bird"))?.since, since, "the session was not reset");
  });

  it("sending: BIRD's ROUTE-REFRESH is answered with BoRR, the routes, EoRR, and BIRD keeps them", async () => {
    const updatesBefore = await bird.receivedUpdates("fr");
    const before = count(logs(), /Got END-OF-RR/);
    await bird.routeRefresh("fr", "ipv4");
    await waitFor(() => count(logs(), /Got END-OF-RR/), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD to get flatroute's End-of-RR",
      until: (n) => n > before,
    });
    assert.ok(count(logs(), /Got BEGIN-OF-RR/) > 0);
    assert.ok((await bird.receivedUpdates("fr")) > updatesBefore, "BIRD got the routes again");
    // BIRD swept at End-of-RR what was not sent again: flatroute's route is still there.
    assert.deepEqual(await bird.receivedPrefixes("fr", "ipv4"), [OWN]);
    const out = await bird.birdc(["show", "protocols", name]);
    assert.match(out, /Established/);
  });
});

describe("enhanced route refresh (RFC 7313) against FRR", function () {
  this.timeout(120_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let frr: FrrPeer;
  const logs = () => lab.logs(10_000_000);

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "q", ["f"]);
    const link = t.links[0]!;
    frr = await FrrPeer.start(t.spokes[0]!, {
      routerId: link.right,
      asn: BIRD_ASN,
      neighbors: [
        { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
      ],
      routes: [FIRST, SECOND],
    });
    await frr.vtysh(["debug bgp neighbor-events"]);
    agent = await FlatrouteAgent.start(t.hub, {
      routerId: link.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [OWN],
      peers: [{ name: "frr", address: link.right, asn: BIRD_ASN, families: ["ipv4"] }],
      gracefulRestart: { enabled: false, restartTime: 120 },
    });
    await waitFor(() => frr.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: "FRR to learn flatroute's prefix",
      until: (ps) => ps.includes(OWN),
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(JSON.stringify(await agent?.routes().catch(String)));
      console.log(await frr?.describe().catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  const frrRoutes = async () =>
    (await agent.routes())
      .filter((r) => r.peer === "frr")
      .map((r) => `${r.prefix}${r.stale ? " stale" : ""}`)
      .sort();

  it("sending: FRR's ROUTE-REFRESH is answered with BoRR and EoRR, and FRR keeps the routes", async () => {
    const before = count(logs(), /rcvd route-refresh \(EoRR\)/);
    await frr.routeRefresh("fr", "ipv4");
    await waitFor(() => count(logs(), /rcvd route-refresh \(EoRR\)/), {
      timeoutMs: TIMEOUT_MS,
      what: "FRR to get flatroute's EoRR",
      until: (n) => n > before,
    });
    assert.match(logs(), /rcvd route-refresh \(BoRR\) for IPv4\/unicast/);
    assert.deepEqual(await frr.receivedPrefixes("fr", "ipv4"), [OWN]);
    assert.ok(await frr.established("fr"));
  });

  it("receiving: flatroute's ROUTE-REFRESH is answered by FRR with BoRR and EoRR, and flatroute keeps its routes", async () => {
    await waitFor(frrRoutes, {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to hold both of FRR's prefixes",
      until: (ps) => ps.join() === [FIRST, SECOND].join(),
    });
    const since = (await agent.protocol("frr"))?.since;
    await agent.request("reload", { name: "frr" });
    await waitFor(() => logs(), {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to end FRR's refresh at its EoRR",
      until: (l) => /stale routes swept.*|"why":"End-of-RR"/.test(l),
    });
    assert.match(logs(), /sending route-refresh \(BoRR\) for IPv4\/unicast/);
    assert.match(logs(), /sending route-refresh \(EoRR\) for IPv4\/unicast/);
    assert.match(logs(), /peer's routes marked stale/);
    assert.deepEqual(await frrRoutes(), [FIRST, SECOND], "what FRR sent again, fresh");
    assert.equal((await agent.protocol("frr"))?.since, since, "the session was not reset");
  });
});
