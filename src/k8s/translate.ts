/**
 * Kubernetes mode's pure heart: (cluster snapshot, node name, file settings)
 * -> the speaker's internal model. No I/O, no client, no clock. The runtime
 * calls it on every change and every relist and hands the result to the
 * speaker's reconfigure, which leaves unchanged peers alone; so the output is
 * deterministic (inputs are sorted first, peers come out sorted by name) and a
 * relist that changed nothing changes nothing.
 *
 * Rules (each has a case in test/unit/k8s/translate.test.ts):
 * - Own Node missing: no speaker; `waiting` says so.
 * - Precedence for every setting: node annotation > config file >
 *   BGPConfiguration "default" > built-in default. ASN 64512, mesh on,
 *   graceful restart {enabled: true, restartTime: 120}, hold time 90.
 * - Router ID: annotation, file routerId, the node's first IPv4 InternalIP,
 *   else derivedRouterId(node name).
 * - A node's peering address per family: the ipv4-address / ipv6-address
 *   annotation, else its first InternalIP of that family. Two nodes have one
 *   session per family both of them have.
 * - Prefixes: the node's spec.podCIDRs (or [spec.podCIDR]) plus the file's,
 *   deduplicated and sorted. No Pod CIDR: a waiting reason (the node still
 *   peers and learns routes); an unparsable one: a problem, skipped.
 * - listen: the file's if it sets one, else each own peering address at
 *   spec.listenPort ?? 179. No own address: no listeners, a waiting reason.
 * - Mesh (spec.nodeToNodeMesh ?? true): a session with every other node per
 *   shared family, asn = that node's annotation or the cluster ASN, timers
 *   from the BGPConfiguration, password from spec.meshPassword, port
 *   listenPort, role "node". Origin "mesh".
 * - BGPPeer with peerSelector (route reflection), when its nodeSelector
 *   (absent: every node) matches us: a session with every other node the
 *   peerSelector matches, per shared family (limited to spec.families if
 *   set), named as mesh sessions are. It replaces the mesh session with that
 *   node. Password: its own, else the mesh password. routeReflectorClient:
 *   spec value, else true exactly when we are a reflector (cluster-id
 *   annotation), the peer node is not, and both share an ASN. Origin "reflector".
 * - BGPPeer with peerAddress (ToR), when its nodeSelector matches us: one
 *   session to peerAddress:179 with peerASN, families spec.families or
 *   peerAddress's, localAddress ours of that family, role spec.role ?? "tor",
 *   maxPrefixes n -> {limit n, warn at 75%, teardown, restart after 60 s},
 *   policies by name from BGPConfiguration spec.policies, then the file.
 *   Origin "tor".
 * - A BGPPeer's timers: its holdTime/keepalive if it sets either, else the
 *   BGPConfiguration's (the pair is never mixed across objects, so a valid
 *   object never yields keepalive > holdTime / 3).
 * - A BGPPeer that is skipped (invalid object, unknown policy, unusable
 *   password) is as if absent: the mesh session it would replace stays.
 * - Passwords: a missing Secret or key, a value that is empty or over 80
 *   bytes: a problem naming the Secret and key (never the value), the peer (for
 *   meshPassword: every mesh session) skipped.
 * - Names: file peers keep theirs. A generated peer whose name a file peer
 *   has, or an earlier generated peer has (order: reflector, ToR, mesh; within
 *   each, by BGPPeer then node name, IPv4 first), is skipped with a problem.
 *   Two peers with one address: file peers first, then the first by name is
 *   kept; a problem for each other.
 * - clusterCidrs, acceptDefaultRouteFromTor, maxPaths: the file's, else the
 *   BGPConfiguration's. BFD: a BGPPeer's spec.bfd applies to its sessions;
 *   BGPConfiguration spec.bfd is the default for mesh and peerSelector
 *   sessions, not ToR ones (docs/bfd.md); a BGPPeer's own gracefulRestart is reported as ignored
 *   (graceful restart is per speaker).
 * - CRDs not installed: the configuration and BGPPeers are ignored, no problems.
 *   An invalid BGPConfiguration is a problem and is ignored as a whole.
 */
import { isIPv4, isIPv6 } from "node:net";
import { BGP_PORT, type Prefix } from "../bgp/codec/types";
import type { GracefulRestartConfig, ListenConfig, PeerConfig, SpeakerConfig } from "../bgp/config";
import type { Policy } from "../bgp/policy/types";
import { formatPrefix, parsePrefix } from "../bgp/prefix";
import { compilePolicies } from "../config/compile-policy";
import { derivedRouterId } from "./names";
import { DEFAULT_CLUSTER_ASN, type Node, type PeerFamily, type Secret } from "./resources";
import { matchesSelector } from "./selector";
import {
  AFI_OF,
  type Candidate,
  canonical,
  checkNamesAndAddresses,
  compare,
  FAMILY_NAMES,
  meshPeers,
  type NamedPeer,
  type NodeView,
  type PeerContext,
  reflectorPeers,
  torPeer,
} from "./translate-peers";
import {
  parseNodeOverrides,
  type ValidConfigurationSpec,
  validateBgpConfiguration,
  validateBgpPeer,
} from "./validate";

export interface ClusterSnapshot {
  nodes: readonly Node[];
  /** The BGPConfiguration named "default", if any (raw: translate validates it). */
  configuration: unknown | undefined;
  /** Raw BGPPeer objects (translate validates each; invalid ones are skipped with a problem). */
  peers: readonly unknown[];
  /** Secrets in the agent's namespace, by name. */
  secrets: ReadonlyMap<string, Secret>;
  /** False when the CRDs are not installed: run on defaults. */
  crdsInstalled: boolean;
}

/** What the config file says. In Kubernetes mode routerId, asn and listen are optional there. */
export interface FileSettings {
  routerId?: string;
  asn?: number;
  listen?: ListenConfig[];
  /** Added to the node's Pod CIDRs. */
  prefixes: Prefix[];
  /** Static peers from the file: kept as they are, kind "static". */
  peers: PeerConfig[];
  gracefulRestart?: GracefulRestartConfig;
  clusterCidrs?: Prefix[];
  acceptDefaultRouteFromTor?: boolean;
  routeReflector?: { clusterId: string };
  alwaysCompareMed?: boolean;
  maxPaths?: number;
  exportDelayMs?: number;
  convergenceTimeout?: number;
  /** Named policies in the file. */
  policies: ReadonlyMap<string, Policy>;
}

export interface PeerOrigin {
  kind: "mesh" | "reflector" | "tor" | "static";
  node?: string;
  resource?: string;
}

export interface Translation {
  /** undefined when our own Node is not in the snapshot. */
  speaker: SpeakerConfig | undefined;
  /** Per peer name: where it came from (status resource, show protocols). */
  origins: Map<string, PeerOrigin>;
  /** Readiness reasons, e.g. `node "n1" has no Pod CIDR yet (spec.podCIDRs is empty)`. */
  waiting: string[];
  /** Objects or values ignored, one clear line each (logged once by the runtime, shown as a status condition). */
  problems: string[];
  /** This node's Pod CIDRs as strings, for status. */
  podCIDRs: string[];
  /** Our Node is cordoned (spec.unschedulable): with gracefulShutdownOnCordon, the node enters graceful shutdown. */
  cordoned: boolean;
}

export function translate(snapshot: ClusterSnapshot, nodeName: string, file: FileSettings): Translation {
  const problems: string[] = [];
  const waiting: string[] = [];
  const origins = new Map<string, PeerOrigin>();
  let cordoned = false;
  const done = (speaker: SpeakerConfig | undefined, podCIDRs: string[]): Translation => ({
    speaker,
    origins,
    waiting,
    problems: [...new Set(problems)],
    podCIDRs,
    cordoned,
  });

  let confName = "default";
  let conf: ValidConfigurationSpec = {};
  const bgpPeers: NamedPeer[] = [];
  if (snapshot.crdsInstalled) {
    if (snapshot.configuration !== undefined) {
      const v = validateBgpConfiguration(snapshot.configuration);
      if (v.ok) {
        conf = v.spec;
        confName = v.name;
      } else {
        problems.push(
          ...v.problems,
          `BGPConfiguration ${nameOf(snapshot.configuration)}: ignored as a whole; defaults apply`,
        );
      }
    }
    for (const raw of sortRaw(snapshot.peers)) {
      const v = validateBgpPeer(raw);
      if (v.ok) bgpPeers.push({ name: v.name, spec: v.spec });
      else problems.push(...v.problems, `BGPPeer ${nameOf(raw)}: skipped`);
    }
  }

  const clusterAsn = file.asn ?? conf.asn ?? DEFAULT_CLUSTER_ASN;
  const nodes = [...snapshot.nodes]
    .sort((a, b) => compare(a.metadata.name, b.metadata.name))
    .map((n) => nodeView(n, clusterAsn));
  const self = nodes.find((n) => n.name === nodeName);
  const selfNode = snapshot.nodes.find((n) => n.metadata.name === nodeName);
  if (self === undefined || selfNode === undefined) {
    waiting.push(`node "${nodeName}" is not in the cluster yet (no Node object of that name)`);
    return done(undefined, []);
  }
  problems.push(...self.problems);
  cordoned = selfNode.spec?.unschedulable === true;

  const podCidrs = podCidrsOf(selfNode, problems);
  if (podCidrs.length === 0) waiting.push(`node "${nodeName}" has no Pod CIDR yet (spec.podCIDRs is empty)`);
  if (self.addresses.ipv4 === undefined && self.addresses.ipv6 === undefined) {
    waiting.push(`node "${nodeName}" has no InternalIP`);
  }

  const listenPort = conf.listenPort ?? BGP_PORT;
  const routeReflector =
    self.overrides.routeReflectorClusterId !== undefined
      ? { clusterId: self.overrides.routeReflectorClusterId }
      : file.routeReflector;
  const ctx: PeerContext = {
    self,
    conf,
    confName,
    file,
    secrets: snapshot.secrets,
    policies: compilePolicies(conf.policies),
    listenPort,
    reflector: routeReflector !== undefined,
    problems,
  };

  const candidates: Candidate[] = [];
  const covered = new Set<string>();
  for (const peer of bgpPeers) {
    if (peer.spec.peerSelector === undefined || !matchesSelector(peer.spec.nodeSelector, self.labels))
      continue;
    const selected = nodes.filter((n) => n !== self && matchesSelector(peer.spec.peerSelector, n.labels));
    const made = reflectorPeers(ctx, peer, selected);
    for (const c of made) covered.add(`${c.origin.node}/${c.config.families[0]!.afi}`);
    candidates.push(...made);
  }
  for (const peer of bgpPeers) {
    if (peer.spec.peerAddress === undefined || !matchesSelector(peer.spec.nodeSelector, self.labels))
      continue;
    const c = torPeer(ctx, peer);
    if (c) candidates.push(c);
  }
  if (conf.nodeToNodeMesh ?? true) {
    const others = nodes.filter(
      (n) => n !== self && FAMILY_NAMES.some((f) => !covered.has(`${n.name}/${AFI_OF[f]}`)),
    );
    candidates.push(...meshPeers(ctx, others, covered));
  }

  const peers = checkNamesAndAddresses(file.peers, candidates, origins, problems);
  const speaker: SpeakerConfig = {
    routerId:
      self.overrides.routerId ??
      file.routerId ??
      firstInternalIp(selfNode, "ipv4") ??
      derivedRouterId(nodeName),
    asn: self.asn,
    listen:
      file.listen?.map((l) => ({ ...l })) ??
      FAMILY_NAMES.flatMap((f) => {
        const address = self.addresses[f];
        return address === undefined ? [] : [{ address, port: listenPort }];
      }),
    prefixes: sortPrefixes([...podCidrs, ...file.prefixes]),
    peers,
    gracefulRestart: file.gracefulRestart
      ? { ...file.gracefulRestart }
      : {
          enabled: conf.gracefulRestart?.enabled ?? true,
          restartTime: conf.gracefulRestart?.restartTime ?? 120,
        },
  };
  const clusterCidrs = file.clusterCidrs ?? conf.clusterCIDRs;
  if (clusterCidrs !== undefined) speaker.clusterCidrs = clusterCidrs;
  const acceptDefault = file.acceptDefaultRouteFromTor ?? conf.acceptDefaultRouteFromToR;
  if (acceptDefault !== undefined) speaker.acceptDefaultRouteFromTor = acceptDefault;
  if (routeReflector !== undefined) speaker.routeReflector = { ...routeReflector };
  if (file.alwaysCompareMed !== undefined) speaker.alwaysCompareMed = file.alwaysCompareMed;
  const maxPaths = file.maxPaths ?? conf.maxPaths;
  if (maxPaths !== undefined) speaker.maxPaths = maxPaths;
  if (file.exportDelayMs !== undefined) speaker.exportDelayMs = file.exportDelayMs;
  if (file.convergenceTimeout !== undefined) speaker.convergenceTimeout = file.convergenceTimeout;
  return done(speaker, podCidrs.map(formatPrefix));
}

function nodeView(node: Node, clusterAsn: number): NodeView {
  const { overrides, problems } = parseNodeOverrides(node);
  const addresses: Partial<Record<PeerFamily, string>> = {};
  const v4 = overrides.ipv4Address ?? firstInternalIp(node, "ipv4");
  const v6 = overrides.ipv6Address ?? firstInternalIp(node, "ipv6");
  if (v4 !== undefined) addresses.ipv4 = canonical(v4);
  if (v6 !== undefined) addresses.ipv6 = canonical(v6);
  return {
    name: node.metadata.name,
    labels: node.metadata.labels ?? {},
    overrides,
    problems,
    addresses,
    asn: overrides.asn ?? clusterAsn,
  };
}

function firstInternalIp(node: Node, family: PeerFamily): string | undefined {
  const isFamily = family === "ipv4" ? isIPv4 : isIPv6;
  return node.status?.addresses?.find((a) => a.type === "InternalIP" && isFamily(a.address))?.address;
}

function podCidrsOf(node: Node, problems: string[]): Prefix[] {
  const list = node.spec?.podCIDRs;
  const [key, texts] =
    list !== undefined && list.length > 0
      ? (["podCIDRs", list] as const)
      : (["podCIDR", node.spec?.podCIDR === undefined ? [] : [node.spec.podCIDR]] as const);
  const out: Prefix[] = [];
  texts.forEach((text, i) => {
    const at = key === "podCIDRs" ? `spec.podCIDRs[${i}]` : "spec.podCIDR";
    try {
      out.push(parsePrefix(text));
    } catch (e) {
      const reason = (e as Error).message.replace(/^invalid prefix "[^"]*": /, "");
      problems.push(
        `Node ${node.metadata.name}: ${at}: expected a CIDR prefix: ${reason}, got ${JSON.stringify(text)}`,
      );
    }
  });
  return out;
}

/** IPv4 before IPv6, then by address bytes and length; duplicates dropped. */
function sortPrefixes(prefixes: readonly Prefix[]): Prefix[] {
  const unique = new Map<string, Prefix>();
  for (const p of prefixes) if (!unique.has(formatPrefix(p))) unique.set(formatPrefix(p), p);
  return [...unique.values()].sort((a, b) => {
    if (a.afi !== b.afi) return a.afi - b.afi;
    for (let i = 0; i < a.address.length; i++) {
      const d = a.address[i]! - b.address[i]!;
      if (d !== 0) return d;
    }
    return a.length - b.length;
  });
}

function nameOf(raw: unknown): string {
  const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" && name !== "" ? name : "(unnamed)";
}

/** Raw objects by metadata.name (then by content), so a relist in another order validates identically. */
function sortRaw(objects: readonly unknown[]): unknown[] {
  const keyed = objects.map((o) => {
    const meta = (o as { metadata?: { name?: unknown } } | null)?.metadata;
    return { o, name: typeof meta?.name === "string" ? meta.name : "", text: JSON.stringify(o) ?? "" };
  });
  keyed.sort((a, b) => compare(a.name, b.name) || compare(a.text, b.text));
  return keyed.map((k) => k.o);
}
