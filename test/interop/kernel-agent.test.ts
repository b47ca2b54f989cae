// The whole path, UPDATE to kernel: `flatroute agent` in the node namespace
// with two BIRD eBGP peers; what the routing core chooses must be in the
// namespace's main table with proto 186, as one ECMP route when both peers
// send the same prefix, shrinking (never vanishing) when one goes; a restart
// with graceful restart keeps the routes all the way through and sweeps the
// ones nobody announces any more.
import assert from "node:assert/strict";
import { Lab, type Netns } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { type AgentYaml, FlatrouteAgent } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";
import { ours } from "./kernel-driver";

const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const SHARED = "10.206.0.0/24";
const ONLY_B1 = "10.206.1.0/24";
const OWN = "10.244.1.0/24";
const TIMEOUT_MS = 45_000;

/** Our kernel routes without interface names (they carry the run's random token). */
async function kernel(ns: Netns): Promise<string[]> {
  return (await ours(ns)).map((r) => r.replace(/@[\w-]+/g, ""));
}

/** Polls the table until stopped; records every moment `prefix` was missing from our routes. */
function watchPresence(ns: Netns, prefix: string): { stop: () => Promise<string[]> } {
  let running = true;
  const gaps: string[] = [];
  const loop = (async () => {
    while (running) {
      const rows = await kernel(ns);
      if (!rows.some((r) => r.startsWith(`${prefix} `)))
        gaps.push(`${new Date().toISOString()} ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return gaps;
    },
  };
}

describe("kernel FIB through the agent, with two BIRD peers", function () {
  this.timeout(120_000);
  let lab: Lab;
  let hub: Netns;
  let agent: FlatrouteAgent;
  let b1: BirdPeer;
  let b2: BirdPeer;
  let gw1: string;
  let gw2: string;

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["b1", "b2"]);
    hub = t.hub;
    const birds: BirdPeer[] = [];
    for (const [i, link] of t.links.entries()) {
      birds.push(
        await BirdPeer.start(t.spokes[i]!, {
          routerId: link.right,
          asn: BIRD_ASN,
          neighbors: [
            { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
          ],
          routes: i === 0 ? [SHARED, ONLY_B1] : [SHARED],
        }),
      );
    }
    [b1, b2] = birds as [BirdPeer, BirdPeer];
    [gw1, gw2] = [t.links[0]!.right, t.links[1]!.right];
    const config: AgentYaml = {
      routerId: t.links[0]!.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [OWN],
      peers: [
        { name: "b1", address: gw1, asn: BIRD_ASN, families: ["ipv4"] },
        { name: "b2", address: gw2, asn: BIRD_ASN, families: ["ipv4"] },
      ],
      gracefulRestart: { enabled: true, restartTime: 120 },
    };
    agent = await FlatrouteAgent.start(hub, config);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agent?.table().catch(String));
      console.log(await kernel(hub).catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  it("installs learned routes with proto 186, one ECMP route for the shared prefix, and the Pod CIDR as a blackhole", async () => {
    const rows = await waitFor(() => kernel(hub), {
      timeoutMs: TIMEOUT_MS,
      what: "the routes in the node's kernel table",
      until: (r) => r.length === 3 && r.some((x) => x.startsWith(`${SHARED} `) && x.includes(",")),
    });
    assert.deepEqual(rows, [
      `${SHARED} via ${[gw1, gw2].sort().join(",")} metric 20`,
      `${ONLY_B1} via ${gw1} metric 20`,
      `blackhole ${OWN} metric 4096`,
    ]);
  });

  it("keeps the kernel routes through a graceful restart and then sweeps the one nobody announces", async () => {
    const watch = watchPresence(hub, SHARED);
    let gaps: string[];
    try {
      // SIGTERM: with graceful restart enabled the agent leaves its routes in place.
      await agent.restart();
      await waitFor(() => agent.protocol("b1"), {
        timeoutMs: TIMEOUT_MS,
        what: "b1 to be Established again",
        until: (p) => p?.bgpState === "Established",
      });
      assert.ok(
        (await kernel(hub)).includes(`${ONLY_B1} via ${gw1} metric 20`),
        `${ONLY_B1} is still in the kernel after the graceful restart`,
      );
      // A crash, and while the agent is away b1 stops announcing ONLY_B1.
      await agent.crashAndRestart([OWN], { beforeStart: () => b1.withdrawRoute(ONLY_B1) });
      await waitFor(() => kernel(hub), {
        timeoutMs: TIMEOUT_MS,
        what: `${ONLY_B1} swept after both peers' End-of-RIB`,
        until: (r) => !r.some((x) => x.startsWith(`${ONLY_B1} `)),
      });
    } finally {
      gaps = await watch.stop();
    }
    assert.deepEqual(gaps, [], `${SHARED} was missing from the kernel during the restarts`);
    assert.deepEqual(await kernel(hub), [
      `${SHARED} via ${[gw1, gw2].sort().join(",")} metric 20`,
      `blackhole ${OWN} metric 4096`,
    ]);
  });

  it("shrinks the ECMP route to one next hop when a peer goes down, without the prefix disappearing", async () => {
    const watch = watchPresence(hub, SHARED);
    let gaps: string[];
    try {
      await b2.stop();
      await waitFor(() => kernel(hub), {
        timeoutMs: TIMEOUT_MS,
        what: `${SHARED} via b1 only`,
        until: (r) => r.includes(`${SHARED} via ${gw1} metric 20`),
      });
    } finally {
      gaps = await watch.stop();
    }
    assert.deepEqual(gaps, [], `${SHARED} was missing from the kernel while it shrank`);
  });
});
