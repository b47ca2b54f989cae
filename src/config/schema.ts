// The YAML config file's shape. Every object is strict: a misspelt key is an
// error, not a silently ignored setting. Messages are phrased "expected …";
// the loader appends the offending value and the key path.
import { isIP, isIPv4 } from "node:net";
import { z } from "zod";
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
import { maxPrefixesShape, policiesSchema } from "./policy-schema";
import { intIn, prefixSchema, says } from "./schema-parts";

function numberIn(min: number, max: number, expected: string) {
  return z.number(says(expected)).min(min, says(expected)).max(max, says(expected));
}

const asn = intIn(1, 4294967295);
const port = intIn(1, 65535);

const ipAddress = z
  .string(says("expected an IPv4 or IPv6 address"))
  .refine((s) => isIP(s) !== 0, says("expected an IPv4 or IPv6 address"));

// RFC 6286: the BGP identifier is any non-zero 32-bit value, written as an IPv4 address.
const routerId = z
  .string(says("expected a non-zero IPv4 address in dotted-quad form"))
  .refine((s) => isIPv4(s) && s !== "0.0.0.0", says("expected a non-zero IPv4 address in dotted-quad form"));

export const PEER_NAME = /^[A-Za-z_-][A-Za-z0-9_-]*$/;

const peerName = z
  .string(says("expected a name of letters, digits, _ and - not starting with a digit"))
  .regex(PEER_NAME, says("expected a name of letters, digits, _ and - not starting with a digit"))
  .max(64, says("expected a name of at most 64 characters"));

export const FAMILY_NAMES = ["ipv4", "ipv6"] as const;
const familyName = z.enum(FAMILY_NAMES, says('expected "ipv4" or "ipv6"'));

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const listenShape = {
  address: ipAddress,
  port: port.default(179),
};

// BFD (docs/bfd.md): true for the defaults, or the timers in ms. A userspace
// agent cannot keep intervals under 10 ms.
export const BFD_DEFAULTS = { minRx: 300, minTx: 300, multiplier: 3 } as const;
const bfdTimersShape = {
  minRx: intIn(10, 60000).default(BFD_DEFAULTS.minRx),
  minTx: intIn(10, 60000).default(BFD_DEFAULTS.minTx),
  multiplier: intIn(1, 255).default(BFD_DEFAULTS.multiplier),
};
const bfdSchema = z.union(
  [z.boolean(), z.strictObject(bfdTimersShape, says("expected a mapping"))],
  says("expected true, false or a mapping {minRx, minTx, multiplier}"),
);

const peerShape = {
  name: peerName,
  address: ipAddress,
  asn,
  localAddress: ipAddress.optional(),
  port: port.default(179),
  // Linux caps TCP MD5 keys at 80 bytes (TCP_MD5SIG_MAXKEYLEN).
  password: z
    .string(says("expected a string of 1..80 characters"))
    .min(1, says("expected a string of 1..80 characters"))
    .max(80, says("expected a string of 1..80 characters"))
    .optional(),
  passwordFile: z.string(says("expected a file path")).min(1, says("expected a file path")).optional(),
  holdTime: z
    .number(says("expected 0 or an integer 3..65535"))
    .int(says("expected 0 or an integer 3..65535"))
    .refine((n) => n === 0 || (n >= 3 && n <= 65535), says("expected 0 or an integer 3..65535"))
    .default(90),
  keepalive: intIn(1, 21845).optional(),
  passive: z.boolean(says("expected true or false")).default(false),
  multihop: intIn(1, 255).optional(),
  ttlSecurity: intIn(1, 254).optional(),
  families: z
    .array(familyName, says('expected a list of "ipv4" and/or "ipv6"'))
    .min(1, says('expected a list of "ipv4" and/or "ipv6"'))
    .default(["ipv4", "ipv6"]),
  connectRetryMin: numberIn(0.1, 3600, "expected a number of seconds 0.1..3600").optional(),
  connectRetryMax: numberIn(0.1, 3600, "expected a number of seconds 0.1..3600").optional(),
  disabled: z.boolean(says("expected true or false")).optional(),
  role: z.enum(["tor", "node"], says('expected "tor" or "node"')).optional(),
  routeReflectorClient: z.boolean(says("expected true or false")).optional(),
  nextHopSelf: z.boolean(says("expected true or false")).optional(),
  extendedNextHop: z.boolean(says("expected true or false")).optional(),
  importPolicy: z.string(says("expected a policy name")).optional(),
  exportPolicy: z.string(says("expected a policy name")).optional(),
  maxPrefixes: z
    .union(
      [z.literal(false), z.strictObject(maxPrefixesShape, says("expected a mapping with limit"))],
      says("expected a mapping with limit, or false for no limit"),
    )
    .optional(),
  bfd: bfdSchema.optional(),
};

const gracefulRestartShape = {
  enabled: z.boolean(says("expected true or false")).default(true),
  restartTime: intIn(1, 4095).default(120),
};

// The kernel FIB (src/kernel): where learned routes go and how they are marked as ours.
const kernelShape = {
  enabled: z.boolean(says("expected true or false")).default(true),
  table: intIn(1, 4294967295).default(254),
  protocol: intIn(1, 255).default(186),
  metric: intIn(0, 4294967295).default(20),
  localRoutes: z
    .enum(["blackhole", "unreachable"], says('expected "blackhole" or "unreachable"'))
    .default("blackhole"),
  // Above a CNI bridge's connected route over the same Pod CIDR (IPv6 puts those at 256).
  localMetric: intIn(0, 4294967295).default(4096),
  staleTimeout: intIn(1, 3600).default(120),
};

// Kubernetes mode (src/k8s): node, Pod CIDRs, peers and settings come from the cluster.
const kubernetesShape = {
  enabled: z.boolean(says("expected true or false")).default(false),
  /** Default: $NODE_NAME (downward API), else the host name. */
  nodeName: z.string(says("expected a node name")).min(1, says("expected a node name")).optional(),
  /** Default: in-cluster service account, else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig: z.string(says("expected a file path")).min(1, says("expected a file path")).optional(),
  /** Where password Secrets live. Default: $POD_NAMESPACE, else "flatroute-system". */
  namespace: z
    .string(says("expected a namespace name"))
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, says("expected a namespace name"))
    .max(63, says("expected a namespace name"))
    .optional(),
  /** Write a BGPNodeStatus for this node. */
  status: z.boolean(says("expected true or false")).default(true),
  /** Least seconds between two status writes (changes in between are batched). */
  statusInterval: numberIn(0.1, 3600, "expected a number of seconds 0.1..3600").default(10),
  /** Kubernetes Events on session up/down. */
  events: z.boolean(says("expected true or false")).default(true),
  /** Keep the Node's NetworkUnavailable condition. */
  nodeCondition: z.boolean(says("expected true or false")).default(true),
  /** Seconds every session must stay down before NetworkUnavailable turns True; 0: never. */
  networkUnavailableAfter: intIn(0, 86400).default(60),
  /** Seconds to wait for the first sync at start-up before giving up. */
  syncTimeout: intIn(1, 3600).default(30),
  /** Cordoning this node (kubectl cordon/drain) starts graceful shutdown (RFC 8326); uncordon ends it. */
  gracefulShutdownOnCordon: z.boolean(says("expected true or false")).default(false),
};

// The node's CNI config (src/cni), written in Kubernetes mode: bridge + host-local over the Pod CIDRs.
const absolutePath = z
  .string(says("expected an absolute path"))
  .regex(/^\//, says("expected an absolute path"));
const cniShape = {
  enabled: z.boolean(says("expected true or false")).default(true),
  // Absent: $NETCONFPATH (the CNI tools' own variable) if set, else /etc/cni/net.d.
  confDir: absolutePath.optional(),
  // .conflist: the file holds a plugin list; no "/" and no leading dot (libcni lists the directory).
  fileName: z
    .string(says("expected a file name ending in .conflist"))
    .regex(/^[^/.][^/]*\.conflist$/, says("expected a file name ending in .conflist"))
    .default("10-flatroute.conflist"),
  // The CNI spec's network name syntax.
  networkName: z
    .string(says("expected a network name of letters, digits, _ . and -"))
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, says("expected a network name of letters, digits, _ . and -"))
    .default("flatroute"),
  bridge: z
    .string(says("expected an interface name of at most 15 characters"))
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, says("expected an interface name of at most 15 characters"))
    .default("cni0"),
  mtu: intIn(576, 65535).optional(),
  ipamDataDir: absolutePath.optional(),
  overwrite: z.boolean(says("expected true or false")).default(false),
};

const logShape = {
  level: z.enum(LOG_LEVELS, says(`expected one of ${LOG_LEVELS.join(", ")}`)).default("info"),
};

/** Default port of the HTTP endpoint (/metrics, /healthz, /readyz): "9" + BGP's 179. */
export const DEFAULT_METRICS_PORT = 9179;

const metricsShape = {
  enabled: z.boolean(says("expected true or false")).default(true),
  address: ipAddress.default("0.0.0.0"),
  // 0 lets the kernel pick a free port (tests); the agent logs and reports the one it got.
  port: intIn(0, 65535).default(DEFAULT_METRICS_PORT),
};

const controlShape = {
  socket: z
    .string(says("expected a socket file path"))
    .min(1, says("expected a socket file path"))
    .default(DEFAULT_CONTROL_SOCKET),
  /** Group (name or gid) whose members may use the socket besides root; absent: the agent's own group. */
  group: z
    .union(
      [
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/)
          .max(32),
        intIn(0, 2147483647),
      ],
      says("expected a group name or a numeric gid"),
    )
    .optional(),
};

/** Where the agent listens when the file says nothing outside Kubernetes mode. */
export const DEFAULT_LISTEN = [{ address: "0.0.0.0", port: 179 }];

const rootShape = {
  // Required unless kubernetes.enabled (validate.ts): the cluster supplies them.
  routerId: routerId.optional(),
  asn: asn.optional(),
  listen: z
    .array(
      z.strictObject(listenShape, says("expected a mapping with address and port")),
      says("expected a list"),
    )
    .optional(),
  prefixes: z.array(prefixSchema, says("expected a list of CIDR prefixes")).default([]),
  peers: z.array(z.strictObject(peerShape, says("expected a mapping")), says("expected a list")).default([]),
  // Absent: enabled, 120 s (in Kubernetes mode the cluster's BGPConfiguration may say otherwise).
  gracefulRestart: z.strictObject(gracefulRestartShape, says("expected a mapping")).optional(),
  clusterCidrs: z.array(prefixSchema, says("expected a list of CIDR prefixes")).optional(),
  acceptDefaultRouteFromTor: z.boolean(says("expected true or false")).optional(),
  routeReflector: z
    .strictObject({ clusterId: routerId }, says("expected a mapping with clusterId"))
    .optional(),
  alwaysCompareMed: z.boolean(says("expected true or false")).optional(),
  maxPaths: intIn(1, 256).optional(),
  exportDelayMs: intIn(0, 10000).optional(),
  convergenceTimeout: intIn(1, 3600).optional(),
  policies: policiesSchema.optional(),
  kernel: z.strictObject(kernelShape, says("expected a mapping")).default({
    enabled: true,
    table: 254,
    protocol: 186,
    metric: 20,
    localRoutes: "blackhole",
    localMetric: 4096,
    staleTimeout: 120,
  }),
  kubernetes: z.strictObject(kubernetesShape, says("expected a mapping")).optional(),
  // prefault: an absent section gets the defaults above (enabled), parsed like an empty mapping.
  cni: z.strictObject(cniShape, says("expected a mapping")).prefault({}),
  log: z.strictObject(logShape, says("expected a mapping")).default({ level: "info" }),
  control: z
    .strictObject(controlShape, says("expected a mapping"))
    .default({ socket: DEFAULT_CONTROL_SOCKET }),
  metrics: z
    .strictObject(metricsShape, says("expected a mapping"))
    .default({ enabled: true, address: "0.0.0.0", port: DEFAULT_METRICS_PORT }),
};

export const configFileSchema = z.strictObject(rootShape, says("expected a mapping of settings"));
export type ConfigFile = z.output<typeof configFileSchema>;
export type PeerFile = ConfigFile["peers"][number];

/** Allowed keys per section, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS = {
  root: Object.keys(rootShape),
  listen: Object.keys(listenShape),
  peers: Object.keys(peerShape),
  gracefulRestart: Object.keys(gracefulRestartShape),
  kernel: Object.keys(kernelShape),
  kubernetes: Object.keys(kubernetesShape),
  cni: Object.keys(cniShape),
  log: Object.keys(logShape),
  control: Object.keys(controlShape),
  metrics: Object.keys(metricsShape),
} as const;
