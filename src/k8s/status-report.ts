// This node's BGPNodeStatus, built from the speaker's peer list: a summary,
// conditions and one line per session. No per-route data, so the object stays
// a few kilobytes however large the table grows.
import type { GracefulShutdownState, PeerStatus } from "../bgp/speaker-api";
import type { BGPNodeStatusStatus, Condition, PeerStatusLine } from "./resources";
import type { PeerOrigin } from "./translate";

export interface StatusInputs {
  nodeName: string;
  routerId: string;
  asn: number;
  podCIDRs: string[];
  peers: readonly PeerStatus[];
  origins: ReadonlyMap<string, PeerOrigin>;
  /** Readiness reasons from the translation (no Pod CIDR yet, ...). */
  waiting: readonly string[];
  /** Objects ignored as invalid. */
  problems: readonly string[];
  agentVersion: string;
  gracefulShutdown?: GracefulShutdownState;
}

/** The status without lastUpdate and transition times: what decides whether a write is needed. */
export type StatusContent = Omit<BGPNodeStatusStatus, "lastUpdate">;

export function statusContent(i: StatusInputs): StatusContent {
  const peers = i.peers.map((p): PeerStatusLine => {
    const origin = i.origins.get(p.name);
    const line: PeerStatusLine = {
      name: p.name,
      address: p.address,
      kind: origin?.kind ?? "static",
      asn: p.asn,
      state: p.bgpState,
      since: p.since,
      prefixesReceived: p.routes.received ?? p.routes.imported + p.routes.filtered,
      prefixesAccepted: p.routes.imported,
      prefixesAdvertised: p.routes.exported,
    };
    if (origin?.node) line.node = origin.node;
    if (p.lastError) line.lastError = p.lastError;
    if (p.bfdState) line.bfd = p.bfdState;
    return line;
  });
  const enabled = i.peers.filter((p) => p.state !== "down");
  const established = enabled.filter((p) => p.bgpState === "Established").length;
  const notUp = enabled.filter((p) => p.bgpState !== "Established").map((p) => p.name);
  const ready = notUp.length === 0 && i.waiting.length === 0;
  const readyMessage = ready
    ? "every session established"
    : [
        ...i.waiting,
        ...(notUp.length > 0
          ? [`not established: ${notUp.slice(0, 10).join(", ")}${notUp.length > 10 ? ", ..." : ""}`]
          : []),
      ].join("; ");
  const conditions: Condition[] = [
    condition(
      "Ready",
      ready,
      ready ? "AllSessionsEstablished" : i.waiting.length > 0 ? "Waiting" : "SessionsDown",
      readyMessage,
    ),
    condition(
      "ConfigValid",
      i.problems.length === 0,
      i.problems.length === 0 ? "Valid" : "InvalidObjects",
      i.problems.length === 0 ? "every object applied" : i.problems.slice(0, 5).join("; "),
    ),
  ];
  const gs = i.gracefulShutdown;
  return {
    nodeName: i.nodeName,
    routerID: i.routerId,
    asn: i.asn,
    podCIDRs: [...i.podCIDRs],
    sessions: `${established}/${enabled.length}`,
    established,
    peersTotal: i.peers.length,
    agentVersion: i.agentVersion,
    gracefulShutdown: gs?.active ? { sources: [...gs.sources], since: gs.since ?? "" } : null,
    conditions,
    peers,
  };
}

function condition(type: string, ok: boolean, reason: string, message: string): Condition {
  // The writer fills lastTransitionTime from the previous write (see status-writer.ts).
  return { type, status: ok ? "True" : "False", reason, message, lastTransitionTime: "" };
}
