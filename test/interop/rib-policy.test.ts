// flatroute with two BIRD eBGP peers in the same AS: equal paths become one
// multipath route, an export policy changed at run time (SIGHUP) withdraws
// and re-advertises, and a max-prefix limit tears the session down (Cease 1)
// once a peer goes past it, then lets it come back after restartAfter.
import assert from "node:assert/strict";
import { Lab } from "../lab/netns";
import { BirdPeer, birdProtocolName } from "../lab/peers/bird";
import { type AgentYaml, FlatrouteAgent } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const SHARED = "10.203.0.0/24";
const OWN_A = "10.244.1.0/24";
const OWN_B = "10.244.2.0/24";
const LIMIT = 3;
const RESTART_AFTER_S = 2;
const TIMEOUT_MS = 45_000;

describe("routing policy, ECMP and max-prefix against two BIRD peers", function () {
  this.timeout(120_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let b1: BirdPeer;
  let b2: BirdPeer;
  let baseConfig: AgentYaml;

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["b1", "b2"]);
    const birds: BirdPeer[] = [];
    for (const [i, link] of t.links.entries()) {
      birds.push(
        await BirdPeer.start(t.spokes[i]!, {
          routerId: link.right,
          asn: BIRD_ASN,
          neighbors: [
            { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
          ],
          routes: [SHARED],
        }),
      );
    }
    [b1, b2] = birds as [BirdPeer, BirdPeer];
    baseConfig = {
      routerId: t.links[0]!.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [OWN_A, OWN_B],
      peers: [
        {
          name: "b1",
          address: t.links[0]!.right,
          asn: BIRD_ASN,
          families: ["ipv4"],
          maxPrefixes: { limit: LIMIT, restartAfter: RESTART_AFTER_S },
        },
        { name: "b2", address: t.links[1]!.right, asn: BIRD_ASN, families: ["ipv4"] },
      ],
      gracefulRestart: { enabled: false, restartTime: 120 },
    };
    agent = await FlatrouteAgent.start(t.hub, baseConfig);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agent?.table().catch(String));
      console.log(JSON.stringify(await agent?.routes().catch(String), null, 1));
      console.log(await b1?.describe().catch(String));
      console.log(await b2?.describe().catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  it("two BIRD peers advertising the same prefix give one multipath route with two next hops", async () => {
    const rows = await waitFor(async () => (await agent.routes()).filter((r) => r.prefix === SHARED), {
      timeoutMs: TIMEOUT_MS,
      what: `flatroute to hold ${SHARED} from both peers as multipath`,
      until: (rs) => rs.length === 2 && rs.every((r) => r.multipath),
    });
    const best = rows.find((r) => r.best);
    assert.ok(best, "one of them is best");
    assert.deepEqual(
      [...(best.nextHops ?? [])].sort(),
      [b1.spec.routerId, b2.spec.routerId].sort(),
      "the best route carries both next hops",
    );
  });

  it("an export policy changed at run time withdraws and re-advertises", async () => {
    for (const bird of [b1, b2]) {
      await waitFor(() => bird.receivedPrefixes("fr", "ipv4"), {
        timeoutMs: TIMEOUT_MS,
        what: `${bird.spec.routerId} to learn both of flatroute's prefixes`,
        until: (ps) => ps.includes(OWN_A) && ps.includes(OWN_B),
      });
    }
    agent.reconfigure({
      ...baseConfig,
      policies: {
        "no-a": {
          terms: [
            { match: { prefixes: [OWN_A] }, action: "reject" },
            { match: { source: ["local"] }, action: "accept", set: { addCommunities: ["65001:7"] } },
          ],
        },
      },
      peers: baseConfig.peers.map((p) => (p.name === "b2" ? { ...p, exportPolicy: "no-a" } : p)),
    });
    await waitFor(() => b2.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: `BIRD b2 to drop ${OWN_A} after the policy change`,
      until: (ps) => !ps.includes(OWN_A) && ps.includes(OWN_B),
    });
    const withCommunity = await waitFor(() => b2.birdc(["show", "route", "all", OWN_B]), {
      timeoutMs: TIMEOUT_MS,
      what: `BIRD b2 to see community (65001,7) on ${OWN_B}`,
      until: (out) => /BGP\.community:.*\(65001,7\)/.test(out),
    });
    assert.match(withCommunity, /\(65001,7\)/);
    assert.ok((await b1.receivedPrefixes("fr", "ipv4")).includes(OWN_A), "b1 keeps the default export");
    // The session was not reset for this: the policy applied in place.
    assert.equal((await agent.protocol("b2"))?.bgpState, "Established");

    agent.reconfigure(baseConfig);
    await waitFor(() => b2.receivedPrefixes("fr", "ipv4"), {
      timeoutMs: TIMEOUT_MS,
      what: `BIRD b2 to learn ${OWN_A} again once the policy is gone`,
      until: (ps) => ps.includes(OWN_A),
    });
  });

  it(`max-prefix: ${LIMIT} prefixes are fine, one more tears the session down with Cease subcode 1`, async () => {
    const extra = ["10.210.1.0/24", "10.210.2.0/24"];
    for (const p of extra) await b1.addRoute(p);
    const atLimit = await waitFor(() => agent.protocol("b1"), {
      timeoutMs: TIMEOUT_MS,
      what: `flatroute to import ${LIMIT} prefixes from b1`,
      until: (r) => (r as { routes?: { imported: number } } | undefined)?.routes?.imported === LIMIT,
    });
    assert.equal(atLimit?.bgpState, "Established");

    await b1.addRoute("10.210.3.0/24");
    const row = await waitFor(() => agent.protocol("b1"), {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to tear b1 down for exceeding its prefix limit",
      until: (r) => r !== undefined && r.bgpState !== "Established" && /prefix limit/i.test(r.info),
    });
    assert.match(row?.info ?? "", /limit 3/);
    const birdSide = await waitFor(() => b1.birdc(["show", "protocols", birdProtocolName("fr")]), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD to report the received Cease",
      until: (out) => /Maximum number of prefixes reached/i.test(out),
    });
    assert.match(birdSide, /Received/);
    // Its routes are gone from flatroute; b2's path remains.
    const shared = (await agent.routes()).filter((r) => r.prefix === SHARED);
    assert.deepEqual(
      shared.map((r) => r.peer),
      ["b2"],
    );

    // Back under the limit, the session returns after restartAfter.
    await b1.withdrawRoute("10.210.3.0/24");
    await waitFor(() => agent.protocol("b1"), {
      timeoutMs: TIMEOUT_MS,
      what: `b1 to come back after the ${RESTART_AFTER_S} s restart timer`,
      until: (r) => r?.bgpState === "Established",
    });
  });
});
