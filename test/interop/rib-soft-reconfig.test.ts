// Soft reconfiguration without a kept copy: flatroute keeps no Adj-RIB-In
// for what its import policy rejected, so when that policy changes on reload
// (SIGHUP) it asks the peer for its routes again with ROUTE-REFRESH and runs
// them through the new policy, without resetting the session.
import assert from "node:assert/strict";
import { Lab } from "../lab/netns";
import { BirdPeer, birdProtocolName } from "../lab/peers/bird";
import { type AgentYaml, FlatrouteAgent } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const FIRST = "10.206.1.0/24";
const SECOND = "10.206.2.0/24";
const TIMEOUT_MS = 45_000;

/** BIRD's `show protocols` row for the neighbor: name, proto, table, state, since, info. */
function protocolRow(out: string, name: string): { state: string; since: string; info: string } | undefined {
  const line = out.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) return undefined;
  const cols = line.trim().split(/\s+/);
  // Since is one or two columns (date and time, or time only) depending on BIRD's timeformat.
  const info = cols[cols.length - 1]!;
  return { state: cols[3]!, since: cols.slice(4, cols.length - 1).join(" "), info };
}

/**
 * BIRD's Since as milliseconds of the day. BIRD keeps the time of the last
 * state change on its monotonic clock and converts it to wall-clock time each
 * time it prints it, so the same moment can print a millisecond apart.
 */
function sinceMs(since: string | undefined): number {
  const m = /(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(since ?? "");
  if (!m) return Number.NaN;
  return (
    ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number((m[4] ?? "0").padEnd(3, "0"))
  );
}

/** BIRD's "Export updates" accepted column (what it actually sent) in `show protocols all`. */
function exportedUpdates(out: string): number {
  let total = 0;
  for (const m of out.matchAll(/Export updates:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)/g))
    total += Number(m[5]);
  return total;
}

describe("soft reconfiguration: an import policy change refetches with ROUTE-REFRESH", function () {
  this.timeout(120_000);
  let lab: Lab;
  let agent: FlatrouteAgent;
  let bird: BirdPeer;
  let config: AgentYaml;

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["b"]);
    const link = t.links[0]!;
    bird = await BirdPeer.start(t.spokes[0]!, {
      routerId: link.right,
      asn: BIRD_ASN,
      neighbors: [
        { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
      ],
      routes: [FIRST, SECOND],
    });
    config = {
      routerId: link.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: ["10.244.1.0/24"],
      peers: [{ name: "bird", address: link.right, asn: BIRD_ASN, families: ["ipv4"], importPolicy: "in" }],
      gracefulRestart: { enabled: false, restartTime: 120 },
      policies: {
        in: { terms: [{ match: { prefixes: [FIRST] }, action: "accept" }], defaultAction: "reject" },
      },
    };
    agent = await FlatrouteAgent.start(t.hub, config);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agent?.table().catch(String));
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
      .map((r) => r.prefix)
      .sort();

  it("rejects the second prefix, then accepts it after a reload, with the session kept", async () => {
    await waitFor(birdRoutes, {
      timeoutMs: TIMEOUT_MS,
      what: `flatroute to import ${FIRST} only`,
      until: (ps) => ps.length === 1 && ps[0] === FIRST,
    });
    await waitFor(() => agent.protocol("bird"), {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to count the filtered prefix",
      until: (r) => JSON.stringify(r).includes('"filtered":1'),
    });
    const name = birdProtocolName("fr");
    const before = protocolRow(await bird.birdc(["show", "protocols"]), name);
    assert.equal(before?.info, "Established");
    const sentBefore = exportedUpdates(await bird.birdc(["show", "protocols", "all", name]));
    assert.equal(sentBefore, 2, "BIRD sent both prefixes once");
    const agentSince = (await agent.protocol("bird"))?.since;

    agent.reconfigure({
      ...config,
      policies: {
        in: { terms: [{ match: { prefixes: [FIRST, SECOND] }, action: "accept" }], defaultAction: "reject" },
      },
    });

    await waitFor(birdRoutes, {
      timeoutMs: TIMEOUT_MS,
      what: `flatroute to import ${SECOND} after the reload`,
      until: (ps) => ps.length === 2 && ps[1] === SECOND,
    });
    // BIRD answered a ROUTE-REFRESH: it sent its table again on the same session.
    const sentAfter = exportedUpdates(await bird.birdc(["show", "protocols", "all", name]));
    assert.equal(sentAfter, 4, "BIRD re-sent both prefixes in answer to the refresh");
    const after = protocolRow(await bird.birdc(["show", "protocols"]), name);
    assert.equal(after?.info, "Established");
    const drift = Math.abs(sinceMs(after?.since) - sinceMs(before?.since));
    assert.ok(drift <= 20, `BIRD's session was not reset: since ${before?.since}, now ${after?.since}`);
    assert.equal((await agent.protocol("bird"))?.since, agentSince, "flatroute's session was not reset");
    assert.match(lab.logs(), /requesting route refresh/);
  });
});
