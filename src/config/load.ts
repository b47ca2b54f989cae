// Reads a YAML config file and compiles it into the agent's internal model.
// Every problem found is reported at once, one line each, naming the key path.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { ZodError } from "zod";
import { Afi, type Family, Safi } from "../bgp/codec/types";
import type { GracefulRestartConfig, ListenConfig, PeerConfig, SpeakerConfig } from "../bgp/config";
import type { Policy } from "../bgp/policy/types";
import type { CniSettings } from "../cni/settings";
import type { KubernetesSettings } from "../k8s/settings";
import type { KernelSettings } from "../kernel/agent-fib";
import { compilePolicies } from "./compile-policy";
import { ConfigError, closest, formatPath, problem, valueAt } from "./errors";
import {
  BFD_DEFAULTS,
  type ConfigFile,
  configFileSchema,
  DEFAULT_LISTEN,
  KNOWN_KEYS,
  type LogLevel,
  type PeerFile,
} from "./schema";
import { crossCheck } from "./validate";

export interface AgentConfig {
  speaker: SpeakerConfig;
  kernel: KernelSettings;
  log: { level: LogLevel };
  /** Every named policy in the file, compiled (Kubernetes peers may refer to them by name). */
  policies: Map<string, Policy>;
  /** group: who besides root may use the socket (a name from /etc/group or a gid). */
  control: { socket: string; group?: string | number };
  /** The HTTP endpoint for Prometheus and the kubelet probes. */
  metrics: { enabled: boolean; address: string; port: number };
  /** Present when Kubernetes mode is on: the cluster supplies identity, prefixes and peers. */
  kubernetes?: KubernetesSettings;
  /** Present when Kubernetes mode is on and cni.enabled: the node's CNI config follows its Pod CIDRs. */
  cni?: CniSettings;
  /**
   * What the file itself set of the keys Kubernetes mode may supply. Outside
   * Kubernetes mode `speaker` is complete; in it, `speaker.routerId` and
   * `speaker.asn` are placeholders the cluster's values replace.
   */
  explicit: {
    routerId?: string;
    asn?: number;
    listen?: ListenConfig[];
    gracefulRestart?: GracefulRestartConfig;
  };
}

export { ConfigError } from "./errors";

export async function loadConfigFile(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ConfigError(path, [`cannot read config file: ${(e as Error).message}`]);
  }
  return parseConfigText(text, { file: path, baseDir: dirname(resolve(path)) });
}

/**
 * Parses config text. `file` only labels error messages; relative
 * passwordFile paths are resolved against `baseDir`.
 */
export async function parseConfigText(
  text: string,
  where: { file: string; baseDir: string },
): Promise<AgentConfig> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      where.file,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `line ${pos.line}, column ${pos.col}: ${e.message}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new ConfigError(where.file, [
      "the file is empty; routerId and asn are required (or kubernetes: {enabled: true})",
    ]);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(where.file, [...describeIssues(parsed.error, raw), ...missingIdentity(raw)]);
  }

  const problems = crossCheck(parsed.data);
  const passwords = await readPasswordFiles(parsed.data.peers, where.baseDir, problems);
  if (problems.length > 0) throw new ConfigError(where.file, problems);
  return compile(parsed.data, passwords);
}

/**
 * routerId and asn are required outside Kubernetes mode, a rule crossCheck
 * applies; when the schema already failed, crossCheck does not run, so the
 * missing keys are reported here with the rest.
 */
function missingIdentity(raw: unknown): string[] {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return [];
  const r = raw as Record<string, unknown>;
  const kube = r.kubernetes as { enabled?: unknown } | undefined;
  if (kube?.enabled === true) return [];
  return (["routerId", "asn"] as const)
    .filter((k) => r[k] === undefined)
    .map((k) => problem([k], "required"));
}

function describeIssues(error: ZodError, raw: unknown): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const allowed = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const hint = allowed ? closest(key, allowed) : undefined;
        const where = formatPath([...issue.path, key]);
        out.push(`${where}: unknown key${hint ? ` (did you mean "${hint}"?)` : ""}`);
      }
      continue;
    }
    out.push(problem(issue.path, issue.message, valueAt(raw, issue.path)));
  }
  return out;
}

function knownKeysAt(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return KNOWN_KEYS.root;
  const section = path[0];
  if ((section === "peers" || section === "listen") && path.length === 2) return KNOWN_KEYS[section];
  if (
    (section === "gracefulRestart" ||
      section === "kernel" ||
      section === "kubernetes" ||
      section === "cni" ||
      section === "log" ||
      section === "control" ||
      section === "metrics") &&
    path.length === 1
  ) {
    return KNOWN_KEYS[section];
  }
  return undefined;
}

/** Reads each passwordFile now, so a missing secret fails the load rather than the session. */
async function readPasswordFiles(
  peers: PeerFile[],
  baseDir: string,
  problems: string[],
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  await Promise.all(
    peers.map(async (peer, i) => {
      // Both set is already reported by crossCheck; reading the file would only add noise.
      if (peer.passwordFile === undefined || peer.password !== undefined) return;
      const at = ["peers", i, "passwordFile"];
      const path = resolve(baseDir, peer.passwordFile);
      let secret: string;
      try {
        secret = (await readFile(path, "utf8")).replace(/\r?\n$/, "");
      } catch (e) {
        problems.push(
          problem(
            at,
            `cannot read password file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          ),
        );
        return;
      }
      if (secret.length === 0 || Buffer.byteLength(secret) > 80) {
        problems.push(
          problem(at, `password file ${path} must hold 1..80 bytes (it holds ${Buffer.byteLength(secret)})`),
        );
        return;
      }
      out.set(i, secret);
    }),
  );
  return out;
}

const FAMILIES: Record<"ipv4" | "ipv6", Family> = {
  ipv4: { afi: Afi.IPv4, safi: Safi.Unicast },
  ipv6: { afi: Afi.IPv6, safi: Safi.Unicast },
};

function compile(file: ConfigFile, passwords: Map<number, string>): AgentConfig {
  const policies = compilePolicies(file.policies);
  // crossCheck has made sure every referenced name exists.
  const policy = (name: string): Policy => {
    const p = policies.get(name);
    if (!p) throw new Error(`policy ${name} vanished after validation`);
    return p;
  };
  const peers = file.peers.map((p, i): PeerConfig => {
    const peer: PeerConfig = {
      name: p.name,
      address: p.address,
      asn: p.asn,
      port: p.port,
      holdTime: p.holdTime,
      passive: p.passive,
      families: p.families.map((f) => ({ ...FAMILIES[f] })),
    };
    const password = p.password ?? passwords.get(i);
    if (password !== undefined) peer.password = password;
    if (p.localAddress !== undefined) peer.localAddress = p.localAddress;
    if (p.keepalive !== undefined) peer.keepalive = p.keepalive;
    if (p.multihop !== undefined) peer.multihop = p.multihop;
    if (p.ttlSecurity !== undefined) peer.ttlSecurity = p.ttlSecurity;
    if (p.connectRetryMin !== undefined) peer.connectRetryMin = p.connectRetryMin;
    if (p.connectRetryMax !== undefined) peer.connectRetryMax = p.connectRetryMax;
    if (p.disabled !== undefined) peer.disabled = p.disabled;
    if (p.role !== undefined) peer.role = p.role;
    if (p.routeReflectorClient !== undefined) peer.routeReflectorClient = p.routeReflectorClient;
    if (p.nextHopSelf !== undefined) peer.nextHopSelf = p.nextHopSelf;
    if (p.extendedNextHop !== undefined) peer.extendedNextHop = p.extendedNextHop;
    if (p.importPolicy !== undefined) peer.importPolicy = policy(p.importPolicy);
    if (p.exportPolicy !== undefined) peer.exportPolicy = policy(p.exportPolicy);
    if (p.maxPrefixes !== undefined)
      peer.maxPrefixes = p.maxPrefixes === false ? false : { ...p.maxPrefixes };
    if (p.bfd === true)
      peer.bfd = {
        minRxMs: BFD_DEFAULTS.minRx,
        minTxMs: BFD_DEFAULTS.minTx,
        multiplier: BFD_DEFAULTS.multiplier,
      };
    else if (p.bfd) peer.bfd = { minRxMs: p.bfd.minRx, minTxMs: p.bfd.minTx, multiplier: p.bfd.multiplier };
    return peer;
  });
  const listen = file.listen?.map((l) => ({ address: l.address, port: l.port }));
  const speaker: SpeakerConfig = {
    // crossCheck has required both unless Kubernetes mode supplies them.
    routerId: file.routerId ?? "0.0.0.0",
    asn: file.asn ?? 0,
    listen: listen ?? DEFAULT_LISTEN.map((l) => ({ ...l })),
    prefixes: file.prefixes,
    peers,
    gracefulRestart: file.gracefulRestart ? { ...file.gracefulRestart } : { enabled: true, restartTime: 120 },
  };
  if (file.clusterCidrs !== undefined) speaker.clusterCidrs = file.clusterCidrs;
  if (file.acceptDefaultRouteFromTor !== undefined)
    speaker.acceptDefaultRouteFromTor = file.acceptDefaultRouteFromTor;
  if (file.routeReflector !== undefined) speaker.routeReflector = { ...file.routeReflector };
  if (file.alwaysCompareMed !== undefined) speaker.alwaysCompareMed = file.alwaysCompareMed;
  if (file.maxPaths !== undefined) speaker.maxPaths = file.maxPaths;
  if (file.exportDelayMs !== undefined) speaker.exportDelayMs = file.exportDelayMs;
  if (file.convergenceTimeout !== undefined) speaker.convergenceTimeout = file.convergenceTimeout;
  const k = file.kernel;
  const explicit: AgentConfig["explicit"] = {};
  if (file.routerId !== undefined) explicit.routerId = file.routerId;
  if (file.asn !== undefined) explicit.asn = file.asn;
  if (listen !== undefined) explicit.listen = listen;
  if (file.gracefulRestart !== undefined) explicit.gracefulRestart = { ...file.gracefulRestart };
  const kube = file.kubernetes;
  const kubernetes: KubernetesSettings | undefined = kube?.enabled
    ? {
        status: kube.status,
        statusIntervalMs: Math.round(kube.statusInterval * 1000),
        events: kube.events,
        nodeCondition: kube.nodeCondition,
        networkUnavailableAfterMs: kube.networkUnavailableAfter * 1000,
        syncTimeoutMs: kube.syncTimeout * 1000,
        gracefulShutdownOnCordon: kube.gracefulShutdownOnCordon,
        ...(kube.nodeName !== undefined ? { nodeName: kube.nodeName } : {}),
        ...(kube.kubeconfig !== undefined ? { kubeconfig: kube.kubeconfig } : {}),
        ...(kube.namespace !== undefined ? { namespace: kube.namespace } : {}),
      }
    : undefined;
  const cni = kubernetes && file.cni.enabled ? cniSettings(file.cni) : undefined;
  return {
    speaker,
    kernel: {
      enabled: k.enabled,
      table: k.table,
      protocol: k.protocol,
      metric: k.metric,
      localRoutes: k.localRoutes,
      localMetric: k.localMetric,
      staleTimeoutSeconds: k.staleTimeout,
    },
    log: { level: file.log.level },
    policies,
    control: {
      socket: file.control.socket,
      ...(file.control.group !== undefined ? { group: file.control.group } : {}),
    },
    metrics: { ...file.metrics },
    explicit,
    ...(kubernetes ? { kubernetes } : {}),
    ...(cni ? { cni } : {}),
  };
}

/** Where kubelet looks for CNI configs unless told otherwise. */
export const DEFAULT_CNI_CONF_DIR = "/etc/cni/net.d";

function cniSettings(c: ConfigFile["cni"]): CniSettings {
  // $NETCONFPATH is how the CNI tools (cnitool) name a config directory; honouring it
  // lets a node run the agent on a config of only `kubernetes: {enabled: true}` elsewhere.
  const fromEnv = process.env.NETCONFPATH;
  return {
    confDir: c.confDir ?? (fromEnv?.startsWith("/") ? fromEnv : DEFAULT_CNI_CONF_DIR),
    fileName: c.fileName,
    networkName: c.networkName,
    bridge: c.bridge,
    overwrite: c.overwrite,
    ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
    ...(c.ipamDataDir !== undefined ? { ipamDataDir: c.ipamDataDir } : {}),
  };
}
