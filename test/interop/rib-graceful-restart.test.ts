// Graceful restart (RFC 4724) with flatroute as helper: BIRD (graceful
// restart on) is killed without a NOTIFICATION; flatroute keeps its routes
// as stale, then either BIRD comes back with -R and only the routes it
// announces again survive its End-of-RIB, or it stays away and the restart
// timer sweeps them.
import assert from "node:assert/strict";
import { Lab } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { FlatrouteAgent } from "../lab/peers/flatroute";
import type { DaemonSpec } from "../lab/peers/types";
import { starTopology } from "../lab/topology";
import { holdsFor, waitFor } from "../lab/wait";

const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const KEPT = "10.205.1.0/24";
const DROPPED = "10.205.2.0/24";
/** Long enough that a sweep within the test's deadline can only come from End-of-RIB. */
const LONG_RESTART_TIME_S = 90;
const BIRD_RESTART_TIME_S = 4;
const TIMEOUT_MS = 45_000;

describe("graceful restart: flatroute as helper for a restarting BIRD", function () {
  this.timeout(120_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let bird: BirdPeer;
  let spec: DaemonSpec;
  let birdNs: Parameters<typeof BirdPeer.start>[0];

  const peerRoutes = async () => (await agent.routes()).filter((r) => r.peer === "bird");

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["b"]);
    const link = t.links[0]!;
    birdNs = t.spokes[0]!;
    spec = {
      routerId: link.right,
      asn: BIRD_ASN,
      neighbors: [
        { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
      ],
      routes: [KEPT, DROPPED],
    };
    bird = await BirdPeer.start(birdNs, spec, { gracefulRestartTime: LONG_RESTART_TIME_S });
    agent = await FlatrouteAgent.start(t.hub, {
      routerId: link.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: ["10.244.1.0/24"],
      peers: [{ name: "bird", address: link.right, asn: BIRD_ASN, families: ["ipv4"] }],
      gracefulRestart: { enabled: true, restartTime: 120 },
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agent?.table().catch(String));
      console.log(JSON.stringify(await agent?.routes().catch(String)));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  async function killBird(): Promise<void> {
    await waitFor(peerRoutes, {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to hold both of BIRD's routes",
      until: (rs) => rs.filter((r) => !r.stale).length === 2,
    });
    // SIGKILL: no NOTIFICATION, the TCP connection just ends, as in a crash or a restart.
    bird.process.signal("SIGKILL");
    await waitFor(() => agent.protocol("bird"), {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to see the session go down",
      until: (r) => r?.bgpState !== "Established",
    });
    const stale = await peerRoutes();
    assert.deepEqual(
      stale.map((r) => r.prefix).sort(),
      [KEPT, DROPPED].sort(),
      "routes kept during the restart",
    );
    assert.ok(
      stale.every((r) => r.stale && r.best),
      "kept as stale and still chosen (still in the kernel)",
    );
  }

  it("keeps routes stale while BIRD restarts and sweeps the ones it did not announce again after End-of-RIB", async () => {
    await killBird();
    bird = await BirdPeer.start(
      birdNs,
      { ...spec, routes: [KEPT] },
      {
        gracefulRestartTime: BIRD_RESTART_TIME_S,
        restarting: true,
      },
    );
    const after = await waitFor(peerRoutes, {
      timeoutMs: TIMEOUT_MS,
      what: `flatroute to keep ${KEPT} (refreshed) and sweep ${DROPPED}`,
      until: (rs) => rs.length === 1 && rs[0]!.prefix === KEPT && !rs[0]!.stale,
    });
    assert.equal(after[0]!.best, true);
  });

  it(`sweeps a restarting peer's routes when it stays away past its restart time (${BIRD_RESTART_TIME_S} s)`, async () => {
    // A fresh BIRD (stopped cleanly: its Cease withdraws everything) advertising a short restart time.
    await bird.stop();
    bird = await BirdPeer.start(birdNs, spec, { gracefulRestartTime: BIRD_RESTART_TIME_S });
    await killBird();
    await waitFor(peerRoutes, {
      timeoutMs: BIRD_RESTART_TIME_S * 1000 + 10_000,
      what: "the restart timer to sweep BIRD's stale routes",
      until: (rs) => rs.length === 0,
    });
  });
});

describe("graceful restart: flatroute restarting with BIRD as helper", function () {
  this.timeout(120_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let bird: BirdPeer;
  const OWN_KEPT = "10.244.1.0/24";
  const OWN_DROPPED = "10.244.2.0/24";

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["b"]);
    const link = t.links[0]!;
    bird = await BirdPeer.start(
      t.spokes[0]!,
      {
        routerId: link.right,
        asn: BIRD_ASN,
        neighbors: [
          { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
        ],
        routes: [],
      },
      { gracefulRestartTime: LONG_RESTART_TIME_S },
    );
    agent = await FlatrouteAgent.start(t.hub, {
      routerId: link.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [OWN_KEPT, OWN_DROPPED],
      peers: [{ name: "bird", address: link.right, asn: BIRD_ASN, families: ["ipv4"] }],
      gracefulRestart: { enabled: true, restartTime: 60 },
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await bird?.describe().catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  it("BIRD keeps flatroute's routes while it restarts and drops the one not announced again", async () => {
    await waitFor(() => bird.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD to learn both of flatroute's prefixes",
      until: (ps) => ps.includes(OWN_KEPT) && ps.includes(OWN_DROPPED),
    });
    await agent.crashAndRestart([OWN_KEPT], {
      beforeStart: async () => {
        // flatroute is dead: BIRD's session is down, the routes are still there.
        await waitFor(() => bird.established("fr"), {
          timeoutMs: TIMEOUT_MS,
          what: "BIRD to notice flatroute is gone",
          until: (up) => !up,
        });
        assert.deepEqual(await bird.receivedPrefixes("fr", "ipv4"), [OWN_KEPT, OWN_DROPPED].sort());
      },
    });
    await waitFor(() => bird.established("fr"), {
      timeoutMs: TIMEOUT_MS,
      what: "the session to come back after flatroute's restart",
      until: (up) => up,
    });
    await waitFor(() => bird.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: 30_000,
      what: `BIRD to keep ${OWN_KEPT} and drop ${OWN_DROPPED} after flatroute's End-of-RIB`,
      until: (ps) => ps.length === 1 && ps[0] === OWN_KEPT,
    });
  });
});

// RFC 4724 4.1 selection deferral: flatroute comes back with --restarting and
// two configured peers, one of which (BIRD c) is not there yet. Until c's
// End-of-RIB it sends nothing, so BIRD b keeps the routes it holds for
// flatroute as stale (no withdrawal of the preserved one that is gone now);
// once c is up and has sent End-of-RIB, b gets flatroute's table and
// End-of-RIB, and drops what flatroute no longer announces.
describe("graceful restart: flatroute restarting defers its exports until every peer's End-of-RIB", function () {
  this.timeout(150_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let b: BirdPeer;
  let c: BirdPeer | undefined;
  let cNs: Parameters<typeof BirdPeer.start>[0];
  let cSpec: DaemonSpec;
  const OWN_KEPT = "10.244.1.0/24";
  const OWN_DROPPED = "10.244.2.0/24";
  /** Far beyond the test's waits: convergence (and so the release) can only come from End-of-RIB. */
  const CONVERGENCE_TIMEOUT_S = 120;
  const DEFERRAL_WINDOW_MS = 4_000;

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["b", "c"]);
    const [lb, lc] = t.links as [(typeof t.links)[0], (typeof t.links)[0]];
    const birdSpec = (link: typeof lb): DaemonSpec => ({
      routerId: link.right,
      asn: BIRD_ASN,
      neighbors: [
        { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
      ],
      routes: [],
    });
    b = await BirdPeer.start(t.spokes[0]!, birdSpec(lb), { gracefulRestartTime: LONG_RESTART_TIME_S });
    cNs = t.spokes[1]!;
    cSpec = birdSpec(lc);
    agent = await FlatrouteAgent.start(t.hub, {
      routerId: lb.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [OWN_KEPT, OWN_DROPPED],
      peers: [
        { name: "b", address: lb.right, asn: BIRD_ASN, families: ["ipv4"] },
        { name: "c", address: lc.right, asn: BIRD_ASN, families: ["ipv4"] },
      ],
      gracefulRestart: { enabled: true, restartTime: 60 },
      convergenceTimeout: CONVERGENCE_TIMEOUT_S,
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agent?.table().catch(String));
      console.log(await b?.describe().catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  it("sends BIRD nothing (no withdrawals) until the last peer's End-of-RIB, then its table and End-of-RIB", async () => {
    await waitFor(() => b.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD b to learn both of flatroute's prefixes",
      until: (ps) => ps.includes(OWN_KEPT) && ps.includes(OWN_DROPPED),
    });
    await agent.crashAndRestart([OWN_KEPT], {
      beforeStart: async () => {
        await waitFor(() => b.established("fr"), {
          timeoutMs: TIMEOUT_MS,
          what: "BIRD b to notice flatroute is gone",
          until: (up) => !up,
        });
      },
    });
    await waitFor(() => b.established("fr"), {
      timeoutMs: TIMEOUT_MS,
      what: "b's session to come back after flatroute's restart",
      until: (up) => up,
    });
    // Deferral: the session is up, yet b still holds both (stale) routes: no withdrawal, no End-of-RIB.
    await holdsFor(
      async () => ({ up: await b.established("fr"), prefixes: await b.receivedPrefixes("fr", "ipv4") }),
      {
        windowMs: DEFERRAL_WINDOW_MS,
        what: "BIRD b to keep both preserved routes while flatroute defers",
        holds: (v) => v.up && v.prefixes.length === 2,
      },
    );
    assert.match(lab.logs(), /deferring exports until End-of-RIB/);

    c = await BirdPeer.start(cNs, cSpec, { gracefulRestartTime: LONG_RESTART_TIME_S });
    await waitFor(() => b.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: 30_000,
      what: `BIRD b to keep ${OWN_KEPT} and drop ${OWN_DROPPED} after flatroute's table and End-of-RIB`,
      until: (ps) => ps.length === 1 && ps[0] === OWN_KEPT,
    });
    assert.match(lab.logs(), /End-of-RIB from every peer/);
    await waitFor(() => c!.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD c to get flatroute's table too",
      until: (ps) => ps.length === 1 && ps[0] === OWN_KEPT,
    });
  });
});
