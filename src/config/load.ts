// Reads a YAML config file and compiles it into the agent's internal model.
// Every problem found is reported at once, one line each, naming the key path.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { ZodError } from "zod";
import { Afi, type Family, Safi } from "../bgp/codec/types";
import type { PeerConfig, SpeakerConfig } from "../bgp/config";
import type { Policy, PolicyTerm } from "../bgp/policy/types";
import type { KernelSettings } from "../kernel/agent-fib";
import { ConfigError, closest, formatPath, problem, valueAt } from "./errors";
import { type ConfigFile, configFileSchema, KNOWN_KEYS, type LogLevel, type PeerFile } from "./schema";
import { crossCheck } from "./validate";

export interface AgentConfig {
  speaker: SpeakerConfig;
  kernel: KernelSettings;
  log: { level: LogLevel };
  control: { socket: string };
  /** The HTTP endpoint for Prometheus and the kubelet probes. */
  metrics: { enabled: boolean; address: string; port: number };
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
    throw new ConfigError(where.file, ["the file is empty; routerId and asn are required"]);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(where.file, describeIssues(parsed.error, raw));

  const problems = crossCheck(parsed.data);
  const passwords = await readPasswordFiles(parsed.data.peers, where.baseDir, problems);
  if (problems.length > 0) throw new ConfigError(where.file, problems);
  return compile(parsed.data, passwords);
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

/** The named policy as the core's model; crossCheck has made sure the name exists. */
function compilePolicy(name: string, file: ConfigFile): Policy {
  const p = file.policies?.[name];
  if (!p) throw new Error(`policy ${name} vanished after validation`);
  const terms: PolicyTerm[] = p.terms.map((t) => {
    const match: PolicyTerm["match"] = {};
    const m = t.match;
    if (m.prefixes) match.prefixes = m.prefixes.map((x) => ({ ...x }));
    if (m.communities) match.communities = m.communities;
    if (m.largeCommunities) match.largeCommunities = m.largeCommunities;
    if (m.source) match.source = [...m.source];
    if (m.reflected !== undefined) match.reflected = m.reflected;
    const term: PolicyTerm = { match, action: t.action };
    if (t.set) term.set = { ...t.set };
    return term;
  });
  return { name, terms, defaultAction: p.defaultAction };
}

function compile(file: ConfigFile, passwords: Map<number, string>): AgentConfig {
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
    if (p.importPolicy !== undefined) peer.importPolicy = compilePolicy(p.importPolicy, file);
    if (p.exportPolicy !== undefined) peer.exportPolicy = compilePolicy(p.exportPolicy, file);
    if (p.maxPrefixes !== undefined) peer.maxPrefixes = { ...p.maxPrefixes };
    return peer;
  });
  const speaker: SpeakerConfig = {
    routerId: file.routerId,
    asn: file.asn,
    listen: file.listen.map((l) => ({ address: l.address, port: l.port })),
    prefixes: file.prefixes,
    peers,
    gracefulRestart: { ...file.gracefulRestart },
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
  return {
    speaker,
    kernel: {
      enabled: k.enabled,
      table: k.table,
      protocol: k.protocol,
      metric: k.metric,
      localRoutes: k.localRoutes,
      staleTimeoutSeconds: k.staleTimeout,
    },
    log: { level: file.log.level },
    control: { socket: file.control.socket },
    metrics: { ...file.metrics },
  };
}
