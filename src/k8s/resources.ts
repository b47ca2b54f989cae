// The Kubernetes objects flatroute reads and writes, as wire types. Custom
// resources live in one API group (API_GROUP/API_VERSION), all cluster-scoped;
// Secrets holding BGP passwords live in the agent's own namespace.
// manifests/crds/ holds their CustomResourceDefinitions; src/k8s/validate.ts
// checks objects against the same rules so a bad one is reported, not applied.

export const API_GROUP = "bgp.flatroute.io";
export const API_VERSION = "v1alpha1";
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Default cluster ASN when no BGPConfiguration says otherwise (Calico's too). */
export const DEFAULT_CLUSTER_ASN = 64512;
/** The one BGPConfiguration the agent reads. */
export const CLUSTER_CONFIG_NAME = "default";

/** Node annotations (per-node overrides). Labels are matched by BGPPeer selectors. */
export const ANNOTATIONS = {
  /** This node's ASN (per-rack designs); overrides BGPConfiguration.spec.asn. */
  asn: `${API_GROUP}/asn`,
  /** BGP router ID (dotted quad). */
  routerId: `${API_GROUP}/router-id`,
  /** Makes the node a route reflector with this cluster ID (dotted quad). */
  routeReflectorClusterId: `${API_GROUP}/route-reflector-cluster-id`,
  /** Peering address overrides (default: the Node's InternalIPs). */
  ipv4Address: `${API_GROUP}/ipv4-address`,
  ipv6Address: `${API_GROUP}/ipv6-address`,
} as const;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** metav1.LabelSelector: every clause must hold; an empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface SecretKeyRef {
  /** A Secret in the agent's namespace (kubernetes.namespace). */
  name: string;
  key: string;
}

export interface BfdSpec {
  enabled?: boolean;
  /** Milliseconds. */
  minRx?: number;
  minTx?: number;
  multiplier?: number;
}

export interface GracefulRestartSpec {
  enabled?: boolean;
  /** Seconds, 1..4095. */
  restartTime?: number;
}

/** Cluster-wide settings: the BGPConfiguration named "default". */
export interface BGPConfigurationSpec {
  /** Cluster ASN (default 64512); a node annotation may override it per node. */
  asn?: number;
  /** iBGP full mesh between all nodes (default true). */
  nodeToNodeMesh?: boolean;
  /** MD5 password for mesh sessions. */
  meshPassword?: { secretKeyRef: SecretKeyRef };
  /** Routes the default import policy accepts from peers (the Pod CIDRs live inside). Absent: all. */
  clusterCIDRs?: string[];
  /** Seconds (0 or 3..65535). */
  holdTime?: number;
  keepalive?: number;
  gracefulRestart?: GracefulRestartSpec;
  bfd?: BfdSpec;
  /** ECMP width (1..256). */
  maxPaths?: number;
  /** Accept the default route from ToR peers. */
  acceptDefaultRouteFromToR?: boolean;
  /** TCP port sessions use (default 179). */
  listenPort?: number;
  /** Named routing policies, the same shape as the config file's `policies`. */
  policies?: Record<string, unknown>;
}

export interface BGPConfiguration {
  apiVersion: typeof GROUP_VERSION;
  kind: "BGPConfiguration";
  metadata: ObjectMeta;
  spec: BGPConfigurationSpec;
}

export type PeerFamily = "ipv4" | "ipv6";

/**
 * One BGP peering rule. Either a fixed router (peerAddress + peerASN: a ToR)
 * or other nodes (peerSelector: route reflector topologies); nodeSelector says
 * which nodes apply it (absent: every node).
 */
export interface BGPPeerSpec {
  peerAddress?: string;
  peerASN?: number;
  peerSelector?: LabelSelector;
  nodeSelector?: LabelSelector;
  password?: { secretKeyRef: SecretKeyRef };
  /** eBGP multihop TTL (1..255). */
  multihop?: number;
  /** RFC 5082 GTSM hop count (1..254); excludes multihop. */
  ttlSecurity?: number;
  holdTime?: number;
  keepalive?: number;
  families?: PeerFamily[];
  /** "tor" (default for peerAddress) or "node" (default for peerSelector). */
  role?: "tor" | "node";
  /** Treat the selected peers as our route-reflector clients (we need a cluster ID annotation). */
  routeReflectorClient?: boolean;
  /** Names of policies in BGPConfiguration.spec.policies or the config file. */
  importPolicy?: string;
  exportPolicy?: string;
  maxPrefixes?: number;
  bfd?: BfdSpec;
  gracefulRestart?: GracefulRestartSpec;
  /** Never connect out. */
  passive?: boolean;
}

export interface BGPPeer {
  apiVersion: typeof GROUP_VERSION;
  kind: "BGPPeer";
  metadata: ObjectMeta;
  spec: BGPPeerSpec;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** One line per BGP session in BGPNodeStatus. */
export interface PeerStatusLine {
  name: string;
  address: string;
  /** "mesh", "reflector" (a node selected by a BGPPeer), "tor", or "static" (from the config file). */
  kind: "mesh" | "reflector" | "tor" | "static";
  /** The peer node's name for mesh and reflector sessions. */
  node?: string;
  asn: number;
  /** RFC 4271 state name. */
  state: string;
  /** ISO time of the last state change. */
  since: string;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
  lastError?: string;
  /** BFD session state (Up, Down, Init, AdminDown) when the session uses BFD. */
  bfd?: string;
}

export interface BGPNodeStatusStatus {
  nodeName: string;
  routerID: string;
  asn: number;
  podCIDRs: string[];
  /** "3/4": Established sessions over configured ones, the printer column. */
  sessions: string;
  established: number;
  peersTotal: number;
  /** When the agent last wrote this status. */
  lastUpdate: string;
  agentVersion: string;
  /**
   * Present while the node announces its routes with GRACEFUL_SHUTDOWN (RFC 8326).
   * The agent writes null to remove it (status is written by JSON merge patch).
   */
  gracefulShutdown?: NodeGracefulShutdown | null;
  conditions: Condition[];
  peers: PeerStatusLine[];
}

/** Who put the node in graceful shutdown ("manual": flatroutec; "cordon": the Node is cordoned) and since when. */
export interface NodeGracefulShutdown {
  sources: string[];
  since: string;
}

/** Per-node status written by that node's agent; its name is the node's name. */
export interface BGPNodeStatus {
  apiVersion: typeof GROUP_VERSION;
  kind: "BGPNodeStatus";
  metadata: ObjectMeta;
  spec?: Record<string, never>;
  status?: BGPNodeStatusStatus;
}

/** The parts of core/v1 Node the agent reads. */
export interface NodeAddress {
  type: "InternalIP" | "ExternalIP" | "Hostname" | "InternalDNS" | "ExternalDNS" | string;
  address: string;
}

export interface Node {
  apiVersion?: "v1";
  kind?: "Node";
  metadata: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean };
  status?: { addresses?: NodeAddress[]; conditions?: Array<Partial<Condition> & { type: string }> };
}

export interface Secret {
  apiVersion?: "v1";
  kind?: "Secret";
  metadata: ObjectMeta;
  /** Base64 values. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Plural resource names, as used in REST paths and RBAC rules. */
export const PLURALS = {
  BGPConfiguration: "bgpconfigurations",
  BGPPeer: "bgppeers",
  BGPNodeStatus: "bgpnodestatuses",
} as const;

/** Any object as the API sends it; kind-specific code narrows it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Partial<ObjectMeta> & { deletionTimestamp?: string };
  [key: string]: unknown;
}
