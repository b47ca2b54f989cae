// The flatroute agent under test, started in a namespace from a YAML config and
// observed through its control socket (the same one flatroutec uses).
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { AGENT_ENV, AGENT_NODE_FLAGS } from "../../../src/cli/node-flags";
import { controlRequest } from "../control-client";
import type { LabProcess, Netns } from "../netns";
import { waitFor } from "../wait";
import type { AddressFamily } from "./types";

/** Repository root, from dist/test/lab/peers. */
export const REPO_ROOT = resolve(__dirname, "..", "..", "..", "..");
/** flatroutec as users run it: package.json's "bin" (one file bundled from the modules by scripts/bundle-cli.js). */
export const FLATROUTEC_BIN = resolve(
  REPO_ROOT,
  (JSON.parse(readFileSync(resolve(REPO_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> })
    .bin.flatroutec!,
);
/** The agent's CLI; FLATROUTE_AGENT_CLI points the suite at another build of it. */
export const AGENT_CLI =
  process.env.FLATROUTE_AGENT_CLI ?? resolve(REPO_ROOT, "dist", "src", "cli", "flatroute.js");

/**
 * Starts `flatroute agent ARGS` in `ns` the way the bin and the image run it
 * (AGENT_NODE_FLAGS, AGENT_ENV), with `nodeArgs` added to node's own (e.g. --cpu-prof).
 */
export function spawnAgent(
  ns: Netns,
  args: string[],
  nodeArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): LabProcess {
  return ns.spawn(process.execPath, [...AGENT_NODE_FLAGS, ...nodeArgs, AGENT_CLI, "agent", ...args], {
    logName: "flatroute",
    cwd: REPO_ROOT,
    env: { ...process.env, ...AGENT_ENV, ...env },
  });
}

/** The YAML config file, in the documented camelCase keys. */
export interface AgentPeerYaml {
  name: string;
  address: string;
  asn: number;
  password?: string;
  holdTime?: number;
  keepalive?: number;
  passive?: boolean;
  multihop?: number;
  ttlSecurity?: number;
  families?: AddressFamily[];
  disabled?: boolean;
  role?: "tor" | "node";
  routeReflectorClient?: boolean;
  nextHopSelf?: boolean;
  extendedNextHop?: boolean;
  importPolicy?: string;
  exportPolicy?: string;
  maxPrefixes?: {
    limit: number;
    warningPercent?: number;
    action?: "teardown" | "warn";
    restartAfter?: number;
  };
  bfd?: boolean | { minRx?: number; minTx?: number; multiplier?: number };
}

/** A routing policy in the YAML form (docs/routing.md). */
export interface PolicyYaml {
  terms: {
    match?: {
      prefixes?: (string | { prefix: string; ge?: number; le?: number })[];
      communities?: string[];
      largeCommunities?: string[];
      source?: ("local" | "ebgp" | "ibgp")[];
      reflected?: boolean;
    };
    action: "accept" | "reject";
    set?: {
      localPref?: number;
      med?: number;
      addCommunities?: string[];
      removeCommunities?: string[];
      addLargeCommunities?: string[];
      prependAs?: number;
    };
  }[];
  defaultAction?: "accept" | "reject";
}

export interface AgentYaml {
  routerId: string;
  asn: number;
  listen: { address: string; port: number }[];
  prefixes: string[];
  peers: AgentPeerYaml[];
  gracefulRestart?: { enabled: boolean; restartTime: number };
  /** The HTTP endpoint (/metrics, /healthz, /readyz); default 0.0.0.0:9179 inside the namespace. */
  metrics?: { enabled?: boolean; address?: string; port?: number };
  log?: { level: "trace" | "debug" | "info" | "warn" | "error" };
  kernel?: {
    enabled?: boolean;
    table?: number;
    protocol?: number;
    metric?: number;
    localRoutes?: "blackhole" | "unreachable";
    staleTimeout?: number;
  };
  clusterCidrs?: string[];
  routeReflector?: { clusterId: string };
  maxPaths?: number;
  /** Seconds before the table counts as converged without every peer's End-of-RIB. */
  convergenceTimeout?: number;
  policies?: Record<string, PolicyYaml>;
}

/** `show protocols` rows (src/bgp/speaker-api.ts PeerStatus, the fields the suite relies on). */
export interface ProtocolRow {
  name: string;
  state: string;
  bgpState: string;
  info: string;
  lastError?: string;
  since: string;
  address?: string;
  asn?: number;
  peer?: { address: string; asn: number };
  messages?: { updatesIn: number; updatesOut: number };
}

export interface RouteRow {
  prefix: string;
  family: AddressFamily;
  nextHop: string;
  peer: string;
  asPath: number[];
  best: boolean;
  multipath?: boolean;
  nextHops?: string[];
  reason?: string;
  stale?: boolean;
  originatorId?: string;
  clusterList?: string[];
  communities?: string[];
}

export class FlatrouteAgent {
  private proc: LabProcess;
  private readonly configPath: string;
  readonly socket: string;

  private constructor(
    readonly ns: Netns,
    private config: AgentYaml,
  ) {
    this.configPath = ns.lab.path(`${ns.role}-flatroute.yaml`);
    this.socket = ns.lab.path(`${ns.role}-flatroute.sock`);
    this.proc = this.spawn();
  }

  static async start(ns: Netns, config: AgentYaml): Promise<FlatrouteAgent> {
    const agent = new FlatrouteAgent(ns, config);
    await agent.waitReady();
    return agent;
  }

  get process(): LabProcess {
    return this.proc;
  }

  get currentConfig(): AgentYaml {
    return this.config;
  }

  get configFile(): string {
    return this.configPath;
  }

  /** Rewrites the config file without telling the agent (the test then runs `configure` or sends SIGHUP). */
  writeConfig(config: AgentYaml): void {
    this.config = config;
    writeFileSync(this.configPath, stringify(config));
  }

  /** Writes arbitrary text as the config file (e.g. an invalid one); the running config is unchanged. */
  writeConfigText(text: string): void {
    writeFileSync(this.configPath, text);
  }

  private spawn(extraArgs: string[] = []): LabProcess {
    writeFileSync(this.configPath, stringify(this.config));
    return spawnAgent(this.ns, ["--config", this.configPath, "--control-socket", this.socket, ...extraArgs]);
  }

  private async waitReady(): Promise<void> {
    const proc = this.proc;
    await proc.waitReady(() => this.protocols().then(() => true), {
      timeoutMs: 20_000,
      what: `flatroute control socket ${this.socket} to answer`,
      name: "flatroute",
    });
  }

  request(command: string, args: object = {}): Promise<unknown> {
    return controlRequest(this.socket, command, args);
  }

  async protocols(): Promise<ProtocolRow[]> {
    return (await this.request("show protocols")) as ProtocolRow[];
  }

  async protocol(name: string): Promise<ProtocolRow | undefined> {
    return (await this.protocols()).find((p) => p.name === name);
  }

  async established(name: string): Promise<boolean> {
    return (await this.protocol(name))?.bgpState === "Established";
  }

  async routes(): Promise<RouteRow[]> {
    return (await this.request("show route", {})) as RouteRow[];
  }

  /** Prefixes learned from one peer (by peer name) in one family. */
  async receivedPrefixes(peer: string, family: AddressFamily): Promise<string[]> {
    const rows = await this.routes();
    return [
      ...new Set(rows.filter((r) => r.peer === peer && r.family === family).map((r) => r.prefix)),
    ].sort();
  }

  /**
   * Replaces the originated prefixes: rewrite the config, then SIGHUP (the
   * agent reloads in place). `restart: true` stops and starts the agent instead.
   */
  async setPrefixes(prefixes: string[], opts: { restart?: boolean } = {}): Promise<void> {
    this.config = { ...this.config, prefixes };
    if (opts.restart) {
      await this.restart();
      return;
    }
    writeFileSync(this.configPath, stringify(this.config));
    this.proc.signal("SIGHUP");
  }

  /** Rewrites the whole config file and reloads it in place (SIGHUP). */
  reconfigure(config: AgentYaml): void {
    this.config = config;
    writeFileSync(this.configPath, stringify(this.config));
    this.proc.signal("SIGHUP");
  }

  async restart(): Promise<void> {
    await this.proc.stop();
    this.proc = this.spawn();
    await this.waitReady();
  }

  /**
   * A crash and a graceful-restart comeback: SIGKILL (no NOTIFICATION reaches
   * the peers), then start again with `--restarting` and `prefixes`.
   */
  async crashAndRestart(prefixes: string[], opts: { beforeStart?: () => Promise<void> } = {}): Promise<void> {
    const proc = this.proc;
    proc.signal("SIGKILL");
    await waitFor(() => !proc.running, { timeoutMs: 10_000, what: "the killed agent to exit" });
    await opts.beforeStart?.();
    this.config = { ...this.config, prefixes };
    this.proc = this.spawn(["--restarting"]);
    await this.waitReady();
  }

  /**
   * A restart the way a DaemonSet does it: `signal` (SIGKILL a crash, SIGTERM
   * kubelet's stop for an upgrade), then the same command line again (no
   * `--restarting`: the agent tells by itself), with `prefixes`.
   */
  async relaunch(signal: "SIGKILL" | "SIGTERM", prefixes: string[]): Promise<void> {
    const proc = this.proc;
    proc.signal(signal);
    await waitFor(() => !proc.running, { timeoutMs: 10_000, what: `the agent to exit after ${signal}` });
    this.config = { ...this.config, prefixes };
    this.proc = this.spawn();
    await this.waitReady();
  }

  /** A table in the shape of `flatroutec show protocols` / BIRD's, for the demo and failure messages. */
  async table(): Promise<string> {
    const rows = await this.protocols().catch((e: Error) => e);
    if (rows instanceof Error) return `flatroute: ${rows.message}`;
    const fmt = (c: string[]) =>
      `${c[0]!.padEnd(12)} ${c[1]!.padEnd(26)} ${c[2]!.padEnd(6)} ${c[3]!.padEnd(12)} ${c[4]}`;
    const lines = [fmt(["Name", "Peer", "State", "BGP state", "Info"])];
    for (const r of rows) {
      const addr = r.peer?.address ?? r.address ?? "";
      const asn = r.peer?.asn ?? r.asn ?? "";
      lines.push(fmt([r.name, `${addr} AS${asn}`, r.state, r.bgpState, r.info]));
    }
    return lines.join("\n");
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
