// The shared interop scenario: one topology per implementation (flatroute in
// namespace "n", the peer daemon in "p", one link carrying every session), the
// session table both sides are configured from, and the cases run against it.
import assert from "node:assert/strict";
import { Lab } from "../lab/netns";
import { type AgentPeerYaml, type AgentYaml, FlatrouteAgent } from "../lab/peers/flatroute";
import type { AddressFamily, DaemonSpec, NeighborSpec, PeerDaemon } from "../lab/peers/types";
import type { Netns } from "../lab/topology";
import { addressPair, pairTopology } from "../lab/topology";
import { holdsFor, waitFor } from "../lab/wait";

export const AGENT_ASN = 65001;
export const PEER_ASN = 65002;
export const PEER_ASN_4OCTET = 4200000001;
export const MD5_KEY = "fr-lab-key";
export const MD5_WRONG_KEY = "fr-wrong-key";
/** Hold time for the freeze case, on both sides (RFC 4271 minimum). */
export const FREEZE_HOLD_TIME_S = 3;
/** How long a wrong MD5 key must keep a session down: a negative needs a window. */
export const MD5_NEGATIVE_WINDOW_MS = 8_000;
export const SESSION_TIMEOUT_MS = 45_000;
export const ROUTE_TIMEOUT_MS = 20_000;
/** Hold expiry plus scheduling slack on a busy 2-core machine. */
export const HOLD_DETECT_TIMEOUT_MS = FREEZE_HOLD_TIME_S * 1000 + 7_000;

export const AGENT_V4 = "10.244.1.0/24";
export const AGENT_V6 = "fd00:244:1::/64";
export const AGENT_V4_NEXT = "10.244.2.0/24";
export const PEER_V4 = "10.201.0.0/24";
export const PEER_V6 = "fd00:201::/64";
export const PEER_V4_RUNTIME = "10.202.0.0/24";
export const PEER_V6_RUNTIME = "fd00:202::/64";

export interface SessionDef {
  name: string;
  /** Address pair number on the shared link. */
  pair: number;
  transport: AddressFamily;
  peerAsn: number;
  families: AddressFamily[];
  agentPassword?: string;
  peerPassword?: string;
  holdTime?: number;
}

/** Every session both sides configure. Names are also BIRD protocol suffixes and flatroute peer names. */
export const SESSIONS: SessionDef[] = [
  { name: "ebgp4", pair: 1, transport: "ipv4", peerAsn: PEER_ASN, families: ["ipv4"] },
  { name: "ebgp6", pair: 2, transport: "ipv6", peerAsn: PEER_ASN, families: ["ipv6"] },
  { name: "ibgp4", pair: 3, transport: "ipv4", peerAsn: AGENT_ASN, families: ["ipv4"] },
  { name: "ibgp6", pair: 4, transport: "ipv6", peerAsn: AGENT_ASN, families: ["ipv6"] },
  { name: "as4", pair: 5, transport: "ipv4", peerAsn: PEER_ASN_4OCTET, families: ["ipv4"] },
  {
    name: "md5ok",
    pair: 6,
    transport: "ipv4",
    peerAsn: PEER_ASN,
    families: ["ipv4"],
    agentPassword: MD5_KEY,
    peerPassword: MD5_KEY,
  },
  {
    name: "md5bad",
    pair: 7,
    transport: "ipv4",
    peerAsn: PEER_ASN,
    families: ["ipv4"],
    agentPassword: MD5_KEY,
    peerPassword: MD5_WRONG_KEY,
  },
  {
    name: "hold",
    pair: 8,
    transport: "ipv4",
    peerAsn: PEER_ASN,
    families: ["ipv4"],
    holdTime: FREEZE_HOLD_TIME_S,
  },
];

export const session = (name: string): SessionDef => {
  const s = SESSIONS.find((x) => x.name === name);
  if (!s) throw new Error(`no session ${name}`);
  return s;
};

export interface Implementation {
  kind: string;
  start(ns: Netns, spec: DaemonSpec): Promise<PeerDaemon>;
  /** Whether the daemon can send a ROUTE-REFRESH on demand (GoBGP's softresetin only re-reads its own Adj-RIB-In). */
  sendsRouteRefresh: boolean;
}

export function agentConfig(): AgentYaml {
  const listen = SESSIONS.map((s) => ({ address: addressPair(s.pair, s.transport).left, port: 179 }));
  const peers: AgentPeerYaml[] = SESSIONS.map((s) => {
    const p: AgentPeerYaml = {
      name: s.name,
      address: addressPair(s.pair, s.transport).right,
      asn: s.peerAsn,
      families: s.families,
    };
    if (s.agentPassword !== undefined) p.password = s.agentPassword;
    if (s.holdTime !== undefined) p.holdTime = s.holdTime;
    return p;
  });
  return {
    routerId: addressPair(1, "ipv4").left,
    asn: AGENT_ASN,
    listen,
    prefixes: [AGENT_V4, AGENT_V6],
    peers,
    // The documented default. FRR 8.4 sends End-of-RIB only to peers that advertise
    // graceful restart, and ignores a ROUTE-REFRESH until it has sent one.
    gracefulRestart: { enabled: true, restartTime: 120 },
  };
}

export function peerSpec(): DaemonSpec {
  const neighbors: NeighborSpec[] = SESSIONS.map((s) => {
    const pair = addressPair(s.pair, s.transport);
    const n: NeighborSpec = {
      name: s.name,
      address: pair.left,
      localAddress: pair.right,
      asn: AGENT_ASN,
      families: s.families,
    };
    if (s.peerAsn !== PEER_ASN) n.localAsn = s.peerAsn;
    if (s.peerPassword !== undefined) n.password = s.peerPassword;
    if (s.holdTime !== undefined) n.holdTime = s.holdTime;
    return n;
  });
  return { routerId: addressPair(1, "ipv4").right, asn: PEER_ASN, neighbors, routes: [PEER_V4, PEER_V6] };
}

/** The running topology for one implementation, shared by all its cases. */
export class InteropRig {
  lab!: Lab;
  agent!: FlatrouteAgent;
  peer!: PeerDaemon;

  async setUp(impl: Implementation): Promise<void> {
    this.lab = Lab.create();
    const pairs = SESSIONS.map((s) => addressPair(s.pair, s.transport));
    const t = await pairTopology(this.lab, "n", "p", [...new Map(pairs.map((p) => [p.left, p])).values()]);
    this.peer = await impl.start(t.right, peerSpec());
    this.agent = await FlatrouteAgent.start(t.left, agentConfig());
  }

  async diagnostics(): Promise<string> {
    const parts = [
      await this.agent?.table().catch(String),
      await this.peer?.describe().catch(String),
      this.lab?.logs(),
    ];
    return parts.filter(Boolean).join("\n");
  }

  async tearDown(): Promise<void> {
    await this.lab?.teardown();
  }

  async bothEstablished(name: string, timeoutMs = SESSION_TIMEOUT_MS): Promise<void> {
    await waitFor(() => this.agent.established(name), {
      timeoutMs,
      what: `flatroute session ${name} Established`,
    });
    await waitFor(() => this.peer.established(name), {
      timeoutMs,
      what: `${this.peer.kind} session ${name} Established`,
    });
  }

  agentLearns(name: string, family: AddressFamily, prefix: string): Promise<string[]> {
    return waitFor(() => this.agent.receivedPrefixes(name, family), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: `flatroute to learn ${prefix} from ${name}`,
      until: (l) => l.includes(prefix),
    });
  }

  agentDrops(name: string, family: AddressFamily, prefix: string): Promise<string[]> {
    return waitFor(() => this.agent.receivedPrefixes(name, family), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: `flatroute to drop ${prefix} from ${name}`,
      until: (l) => !l.includes(prefix),
    });
  }

  peerLearns(name: string, family: AddressFamily, prefix: string): Promise<string[]> {
    return waitFor(() => this.peer.receivedPrefixes(name, family), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: `${this.peer.kind} to learn ${prefix} over ${name}`,
      until: (l) => l.includes(prefix),
    });
  }

  peerDrops(name: string, family: AddressFamily, prefix: string): Promise<string[]> {
    return waitFor(() => this.peer.receivedPrefixes(name, family), {
      timeoutMs: ROUTE_TIMEOUT_MS,
      what: `${this.peer.kind} to drop ${prefix} over ${name}`,
      until: (l) => !l.includes(prefix),
    });
  }
}

/** Defines the whole case list for one implementation. */
export function describeInterop(impl: Implementation): void {
  describe(`flatroute <-> ${impl.kind}`, function () {
    this.timeout(120_000);
    const rig = new InteropRig();

    before(async () => {
      try {
        await rig.setUp(impl);
      } catch (err) {
        // A failed start-up fails every case below; say why with the daemons' own words.
        if (err instanceof Error) err.message += `\n${await rig.diagnostics()}`;
        throw err;
      }
    });

    afterEach(async function () {
      if (this.currentTest?.state === "failed") console.log(await rig.diagnostics());
    });

    after(async () => {
      await rig.tearDown();
    });

    it("eBGP over IPv4 transport reaches Established", () => rig.bothEstablished("ebgp4"));
    it("eBGP over IPv6 transport reaches Established", () => rig.bothEstablished("ebgp6"));
    it("iBGP over IPv4 transport reaches Established", () => rig.bothEstablished("ibgp4"));
    it("iBGP over IPv6 transport reaches Established", () => rig.bothEstablished("ibgp6"));

    it("a peer with a 4-octet ASN (4200000001) establishes and its routes carry that ASN", async () => {
      await rig.bothEstablished("as4");
      const row = await rig.agent.protocol("as4");
      assert.equal(row?.peer?.asn ?? row?.asn, PEER_ASN_4OCTET);
      await rig.agentLearns("as4", "ipv4", PEER_V4);
      const route = (await rig.agent.routes()).find((r) => r.peer === "as4" && r.prefix === PEER_V4);
      assert.deepEqual(route?.asPath, [PEER_ASN_4OCTET]);
      await rig.peerLearns("as4", "ipv4", AGENT_V4);
    });

    it("IPv4 unicast prefixes flow both ways (eBGP and iBGP)", async () => {
      await rig.agentLearns("ebgp4", "ipv4", PEER_V4);
      const route = (await rig.agent.routes()).find((r) => r.peer === "ebgp4" && r.prefix === PEER_V4);
      assert.deepEqual(route?.asPath, [PEER_ASN]);
      await rig.peerLearns("ebgp4", "ipv4", AGENT_V4);
      await rig.agentLearns("ibgp4", "ipv4", PEER_V4);
      await rig.peerLearns("ibgp4", "ipv4", AGENT_V4);
    });

    it("IPv6 unicast prefixes flow both ways (eBGP and iBGP)", async () => {
      await rig.agentLearns("ebgp6", "ipv6", PEER_V6);
      await rig.peerLearns("ebgp6", "ipv6", AGENT_V6);
      await rig.agentLearns("ibgp6", "ipv6", PEER_V6);
      await rig.peerLearns("ibgp6", "ipv6", AGENT_V6);
    });

    it("the peer's run-time announcements and withdrawals are honoured", async () => {
      await rig.peer.addRoute(PEER_V4_RUNTIME);
      await rig.peer.addRoute(PEER_V6_RUNTIME);
      await rig.agentLearns("ebgp4", "ipv4", PEER_V4_RUNTIME);
      await rig.agentLearns("ebgp6", "ipv6", PEER_V6_RUNTIME);
      await rig.peer.withdrawRoute(PEER_V4_RUNTIME);
      await rig.peer.withdrawRoute(PEER_V6_RUNTIME);
      await rig.agentDrops("ebgp4", "ipv4", PEER_V4_RUNTIME);
      await rig.agentDrops("ebgp6", "ipv6", PEER_V6_RUNTIME);
      // The peer's standing routes are untouched.
      assert.ok((await rig.agent.receivedPrefixes("ebgp4", "ipv4")).includes(PEER_V4));
    });

    it("flatroute's withdrawals reach the peer (config reload)", async () => {
      await rig.peerLearns("ebgp4", "ipv4", AGENT_V4);
      await rig.peerLearns("ebgp6", "ipv6", AGENT_V6);
      await rig.agent.setPrefixes([AGENT_V4_NEXT]);
      await rig.peerLearns("ebgp4", "ipv4", AGENT_V4_NEXT);
      await rig.peerDrops("ebgp4", "ipv4", AGENT_V4);
      await rig.peerDrops("ebgp6", "ipv6", AGENT_V6);
      await rig.agent.setPrefixes([AGENT_V4, AGENT_V6]);
      await rig.peerLearns("ebgp4", "ipv4", AGENT_V4);
      await rig.peerDrops("ebgp4", "ipv4", AGENT_V4_NEXT);
      await rig.peerLearns("ebgp6", "ipv6", AGENT_V6);
    });

    it("TCP MD5 with the matching key establishes", async () => {
      await rig.bothEstablished("md5ok");
      await rig.agentLearns("md5ok", "ipv4", PEER_V4);
    });

    it(`TCP MD5 with a wrong key stays down (${MD5_NEGATIVE_WINDOW_MS} ms window)`, async () => {
      // By now the good-key session has come up, so the agent has had time to try this one too.
      await holdsFor(
        async () => [await rig.agent.protocol("md5bad"), await rig.peer.established("md5bad")] as const,
        {
          windowMs: MD5_NEGATIVE_WINDOW_MS,
          what: "the wrong-key session to stay not Established on both sides",
          holds: ([row, peerUp]) => row !== undefined && row.bgpState !== "Established" && !peerUp,
        },
      );
    });

    if (impl.sendsRouteRefresh) {
      it("a ROUTE-REFRESH from the peer is answered", async () => {
        await rig.peerLearns("ebgp4", "ipv4", AGENT_V4);
        const before = await rig.peer.receivedUpdates("ebgp4");
        await rig.peer.routeRefresh("ebgp4", "ipv4");
        await waitFor(() => rig.peer.receivedUpdates("ebgp4"), {
          timeoutMs: ROUTE_TIMEOUT_MS,
          what: `${impl.kind}'s received-update count on ebgp4 to rise above ${before} after its ROUTE-REFRESH`,
          until: (n) => n > before,
        });
        assert.ok((await rig.peer.receivedPrefixes("ebgp4", "ipv4")).includes(AGENT_V4));
      });
    }

    it("flatroute's ROUTE-REFRESH (flatroutec reload) is answered by the peer", async () => {
      await rig.agentLearns("ebgp4", "ipv4", PEER_V4);
      const updatesIn = async () => (await rig.agent.protocol("ebgp4"))?.messages?.updatesIn ?? 0;
      const before = await updatesIn();
      await rig.agent.request("reload", { name: "ebgp4" });
      await waitFor(updatesIn, {
        timeoutMs: ROUTE_TIMEOUT_MS,
        what: `flatroute's updatesIn on ebgp4 to rise above ${before} after its ROUTE-REFRESH`,
        until: (n) => n > before,
      });
      assert.ok((await rig.agent.receivedPrefixes("ebgp4", "ipv4")).includes(PEER_V4));
    });

    it(`a frozen peer is detected by hold-timer expiry (${FREEZE_HOLD_TIME_S} s) and the session recovers`, async () => {
      await rig.bothEstablished("hold");
      rig.peer.process.signal("SIGSTOP");
      try {
        // The reason must be our own hold timer: a frozen peer sends nothing, not even a NOTIFICATION.
        await waitFor(() => rig.agent.protocol("hold"), {
          timeoutMs: HOLD_DETECT_TIMEOUT_MS,
          what: "flatroute to drop the frozen peer's session for hold-timer expiry",
          until: (r) =>
            r !== undefined &&
            r.bgpState !== "Established" &&
            /hold timer/i.test(`${r.info} ${r.lastError ?? ""}`),
        });
      } finally {
        rig.peer.process.signal("SIGCONT");
      }
      await rig.bothEstablished("hold");
      await rig.agentLearns("hold", "ipv4", PEER_V4);
    });
  });
}
