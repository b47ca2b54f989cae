// The BFD interop scenario both bfd-*.test.ts files run against their daemon:
// the agent and one peer on a veth pair, BGP with BFD (300 ms × 3) on both
// sides. BFD comes Up on both ends; then each side fails in turn and the other
// must drop the BGP session and its routes within about a second (measured and
// printed; asserted under 1.5 s); then everything comes back.
import assert from "node:assert/strict";
import { Lab, type LabProcess, type Netns } from "../lab/netns";
import { type AgentYaml, FlatrouteAgent } from "../lab/peers/flatroute";
import type { PeerDaemon } from "../lab/peers/types";
import { addressPair, pairTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";
import { ours } from "./kernel-driver";

export const BFD_TIMERS = { minRx: 300, minTx: 300, multiplier: 3 };
const AGENT_ASN = 65001;
const PEER_ASN = 65002;
const PEER_ROUTE = "10.210.0.0/24";
const OWN = "10.244.1.0/24";
const SETTLE_MS = 45_000;
/** 300 ms × 3 = 0.9 s detection plus polling and scheduling margin. */
const FAILOVER_LIMIT_MS = 1500;

export interface PeerUnderTest {
  daemon: PeerDaemon;
  /** The peer's BFD state for the agent's address, in the daemon's words ("Up", "up", ...). */
  bfdState(agentAddress: string): Promise<string | undefined>;
  /** The daemon processes that carry BGP and BFD, which a failure stops (SIGSTOP) and a recovery resumes. */
  processes(): LabProcess[];
}

export interface BfdScenario {
  kind: string;
  start(
    ns: Netns,
    spec: { routerId: string; localAddress: string; agentAddress: string },
  ): Promise<PeerUnderTest>;
}

interface BfdRow {
  peer: string;
  state: string;
}

async function agentBfd(agent: FlatrouteAgent): Promise<string | undefined> {
  const d = (await agent.request("show bfd sessions")) as { configured: boolean; sessions: BfdRow[] };
  return d.sessions.find((s) => s.peer === "peer")?.state;
}

const hasRoute = (rows: string[], prefix: string) => rows.some((r) => r.startsWith(`${prefix} `));

/** Polls `check` every few ms from now until it holds; the elapsed ms from `t0`. */
async function timeUntil(t0: number, what: string, check: () => Promise<boolean>): Promise<number> {
  await waitFor(check, { timeoutMs: 10_000, intervalMs: 5, what });
  return performance.now() - t0;
}

export function describeBfdFailover(scenario: BfdScenario): void {
  describe(`BFD with ${scenario.kind}: both directions of failure`, function () {
    this.timeout(120_000);
    let lab: Lab;
    let agentNs: Netns;
    let peerNs: Netns;
    let agent: FlatrouteAgent;
    let peer: PeerUnderTest;
    const pair = addressPair(0, "ipv4");
    const figures: string[] = [];

    before(async () => {
      lab = Lab.create();
      const t = await pairTopology(lab, "fr", "peer", [pair]);
      [agentNs, peerNs] = [t.left, t.right];
      peer = await scenario.start(peerNs, {
        routerId: pair.right,
        localAddress: pair.right,
        agentAddress: pair.left,
      });
      const config: AgentYaml = {
        routerId: pair.left,
        asn: AGENT_ASN,
        listen: [{ address: "0.0.0.0", port: 179 }],
        prefixes: [OWN],
        peers: [
          { name: "peer", address: pair.right, asn: PEER_ASN, families: ["ipv4"], bfd: { ...BFD_TIMERS } },
        ],
        gracefulRestart: { enabled: false, restartTime: 120 },
      };
      agent = await FlatrouteAgent.start(agentNs, config);
    });

    afterEach(async function () {
      if (this.currentTest?.state === "failed") {
        console.log(await agent?.table().catch(String));
        console.log(JSON.stringify(await agent?.request("show bfd sessions").catch(String)));
        console.log(await peer?.daemon.describe().catch(String));
        console.log(lab?.logs());
      }
    });

    after(async () => {
      if (figures.length > 0) console.log(`      ${scenario.kind} BFD failover: ${figures.join("; ")}`);
      await lab?.teardown();
    });

    async function allUp(): Promise<void> {
      await waitFor(() => agentBfd(agent), {
        timeoutMs: SETTLE_MS,
        what: "the agent's BFD session Up",
        until: (s) => s === "Up",
      });
      await waitFor(() => peer.bfdState(pair.left), {
        timeoutMs: SETTLE_MS,
        what: `${scenario.kind}'s BFD session Up`,
        until: (s) => s?.toLowerCase() === "up",
      });
      await waitFor(() => agent.established("peer"), {
        timeoutMs: SETTLE_MS,
        what: "the agent's BGP session Established",
      });
      await waitFor(() => peer.daemon.established("fr"), {
        timeoutMs: SETTLE_MS,
        what: `${scenario.kind}'s BGP session Established`,
      });
      await waitFor(() => ours(agentNs), {
        timeoutMs: SETTLE_MS,
        what: `${PEER_ROUTE} in the agent's kernel table`,
        until: (r) => hasRoute(r, PEER_ROUTE),
      });
      await waitFor(() => peer.daemon.receivedPrefixes("fr", "ipv4"), {
        timeoutMs: SETTLE_MS,
        what: `${OWN} at ${scenario.kind}`,
        until: (p) => p.includes(OWN),
      });
    }

    it("brings BFD Up on both sides beside the BGP session, and shows it", async () => {
      await allUp();
      const detail = (await agent.request("show protocols all", { name: "peer" })) as {
        bfd: { configured: boolean; state?: string };
      }[];
      assert.deepEqual(detail[0]?.bfd, { configured: true, state: "Up" });
      const rows = (await agent.request("show bfd sessions")) as {
        configured: boolean;
        sessions: (BfdRow & { address: string; txInterval: number; multiplier: number })[];
      };
      assert.equal(rows.configured, true);
      assert.equal(rows.sessions[0]?.address, pair.right);
      assert.equal(rows.sessions[0]?.txInterval, 300);
      assert.equal(rows.sessions[0]?.multiplier, 3);
    });

    it("the peer's side fails: the agent drops the session and its routes within a second, then recovers", async () => {
      await allUp();
      // The peer freezes: no BFD packets, no BGP keepalives, the TCP connection stays open
      // (a blackhole route in the peer's namespace is not enough: the daemons send BFD
      // bound to the interface, past the routing table).
      const frozen = peer.processes();
      const t0 = performance.now();
      for (const p of frozen) p.signal("SIGSTOP");
      try {
        const ms = await timeUntil(
          t0,
          `${PEER_ROUTE} gone from the agent's kernel table`,
          async () => !hasRoute(await ours(agentNs), PEER_ROUTE),
        );
        figures.push(
          `${scenario.kind} fails -> agent removes its routes from the kernel in ${Math.round(ms)} ms`,
        );
        assert.ok(ms < FAILOVER_LIMIT_MS, `routes left the kernel after ${Math.round(ms)} ms`);
        assert.equal(await agentBfd(agent), "Down");
        const row = await agent.protocol("peer");
        assert.notEqual(row?.bgpState, "Established");
        assert.match(row?.lastError ?? "", /BFD session down/);
      } finally {
        for (const p of frozen) p.signal("SIGCONT");
      }
      await allUp();
    });

    it("the agent fails: the peer drops the session and its routes within a second, then recovers", async () => {
      await allUp();
      const t0 = performance.now();
      agent.process.signal("SIGSTOP");
      let ms: number;
      try {
        ms = await timeUntil(
          t0,
          `${OWN} gone from ${scenario.kind}`,
          async () => !(await peer.daemon.receivedPrefixes("fr", "ipv4")).includes(OWN),
        );
        figures.push(
          `agent fails -> ${scenario.kind} drops the session and its routes in ${Math.round(ms)} ms`,
        );
        assert.notEqual((await peer.bfdState(pair.left))?.toLowerCase(), "up");
        assert.equal(await peer.daemon.established("fr"), false);
      } finally {
        agent.process.signal("SIGCONT");
      }
      assert.ok(ms < FAILOVER_LIMIT_MS, `${scenario.kind} dropped the routes after ${Math.round(ms)} ms`);
      await allUp();
    });
  });
}
