// The running agent: one speaker, the control socket, the HTTP endpoint for
// metrics and probes, and config reloads. Signal handling and process exit
// live in flatroute.ts, so tests can drive an Agent in-process with a fake speaker.

import { hostname } from "node:os";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { SpeakerConfig } from "../bgp/config";
import type { PeerStateChange, SpeakerHooks } from "../bgp/speaker";
import type { CloseIntent, SpeakerApi } from "../bgp/speaker-api";
import { type AgentConfig, ConfigError, loadConfigFile } from "../config/load";
import type { LogLevel } from "../config/schema";
import { type BfdView, CommandError, dispatch, type KernelView } from "../control/commands";
import { EventLoopWatch } from "../control/event-loop";
import { HealthState } from "../control/health";
import { ControlHttpServer } from "../control/http";
import { fibSyncProblem, type KernelSource, walkKernelDifferences } from "../control/kernel-diff";
import { createMetrics, type ReloadStats } from "../control/metrics";
import type { AgentInfo, KubernetesStatusData, ReloadData } from "../control/protocol";
import { ControlServer } from "../control/server";
import { systemGroupId } from "../control/socket-group";
import { SessionStateLog } from "../control/state-log";
import { RouteText, RouteTextBytes } from "./format/routes";
import { VERSION } from "./version";

export interface AgentOptions {
  configPath: string;
  /** --control-socket: overrides control.socket from the file. */
  controlSocket?: string;
  /** --log-level: overrides log.level from the file, also across reloads. */
  logLevel?: LogLevel;
}

export type SpeakerFactory = (config: SpeakerConfig, log: Logger, hooks: SpeakerHooks) => SpeakerApi;

/**
 * A second source of configuration beside the file: the cluster in
 * Kubernetes mode (src/k8s KubernetesMode). It composes the speaker config
 * from the file's and its own state; the agent applies the result through
 * the same serialized reconfigure path as a file reload.
 */
export interface ClusterSource {
  readonly nodeName: string;
  /** The speaker config for this file config; undefined while the cluster does not know this node. */
  compose(file: AgentConfig): SpeakerConfig | undefined;
  /** Called when the cluster state changed and compose() may answer differently. */
  onChange(listener: () => void): void;
  attach(ctx: { speaker: SpeakerApi; routesProgrammed: () => boolean; version: string }): void;
  peerState(change: PeerStateChange): void;
  info(): KubernetesStatusData;
  readinessProblems(): string[];
  stop(): void;
}

/** Layers other than the speaker, injected so the agent runs (and is tested) without them. */
export interface AgentLayers {
  /** The kernel FIB (KernelFib), when kernel sync is enabled: readiness, FIB metrics, show kernel. */
  fib?: KernelSource;
  bfd?: BfdView;
  /** Kubernetes mode. */
  cluster?: ClusterSource;
  /** Further readiness reasons of layers the agent does not know (the CNI config writer). */
  readiness?: () => string[];
  /** `flatroutec shutdown`: withdraw everything and exit (flatroute.ts); resolves with the reply text. */
  shutdown?: () => Promise<string>;
  /** Kubernetes mode: this node's Node object was deleted. Without it the running configuration is kept. */
  nodeDeleted?: () => void;
}

export class Agent {
  private lastReconfigure: string | undefined;
  private readonly reloadStats: ReloadData = { count: 0, lastSuccess: true };
  /** Reloads run one at a time, in the order they were asked for. */
  private reloads: Promise<unknown> = Promise.resolve();
  private control: ControlServer | undefined;
  private http: ControlHttpServer | undefined;
  private readonly health: HealthState;
  private stopping: Promise<void> | undefined;
  private readonly eventLoop = new EventLoopWatch();
  /** The speaker config last applied, so an unchanged cluster state costs nothing. */
  private applied: SpeakerConfig;

  /** Graceful restart as last applied (the file's, or the cluster's BGPConfiguration): how a signal ends the agent. */
  get gracefulRestart(): boolean {
    return this.applied.gracefulRestart.enabled;
  }

  private constructor(
    private readonly options: AgentOptions,
    private config: AgentConfig,
    readonly speaker: SpeakerApi,
    private readonly log: Logger,
    private readonly layers: AgentLayers,
    applied: SpeakerConfig,
  ) {
    const fib = layers.fib;
    const cluster = layers.cluster;
    this.applied = applied;
    this.health = new HealthState({
      speaker,
      ...(fib ? { fibProblem: () => fibSyncProblem(fib.stats()) } : {}),
      extraProblems: () => [...(cluster?.readinessProblems() ?? []), ...(layers.readiness?.() ?? [])],
      // A node is ready when it routes: one session up is enough (see HealthOptions.peers).
      ...(cluster ? { peers: "any" as const } : {}),
    });
  }

  /** Starts the speaker, the control socket, then the HTTP endpoint. `config` is the already loaded file. */
  static async start(
    options: AgentOptions,
    config: AgentConfig,
    log: Logger,
    createSpeaker: SpeakerFactory,
    layers: AgentLayers = {},
  ): Promise<Agent> {
    const stateLog = new SessionStateLog(log);
    const cluster = layers.cluster;
    const initial = cluster ? cluster.compose(config) : config.speaker;
    if (!initial) throw new Error(`node "${cluster?.nodeName}" is not known to the cluster`);
    const speaker = createSpeaker(initial, log, {
      peerState: (c) => {
        stateLog.record(c);
        cluster?.peerState(c);
      },
    });
    const agent = new Agent(options, config, speaker, log, layers, initial);
    await speaker.start();
    if (cluster) {
      const fib = layers.fib;
      cluster.onChange(() => {
        agent
          .applyCluster()
          .catch((e: unknown) => log.error({ err: e }, "applying the cluster state failed"));
      });
      cluster.attach({
        speaker,
        routesProgrammed: () => (fib ? fibSyncProblem(fib.stats()) === undefined : true),
        version: VERSION,
      });
      // Changes that arrived while the speaker started.
      await agent.applyCluster();
    }
    try {
      agent.control = await ControlServer.listen(
        agent.controlPath,
        (command, args) =>
          dispatch(
            {
              speaker,
              version: VERSION,
              configure: (check) => agent.configure(check),
              agentInfo: () => agent.info(),
              routeText: (all) => new RouteText({ now: new Date(), all }),
              routeBytes: () => new RouteTextBytes({ now: new Date() }),
              ...(agent.kernelView ? { kernel: agent.kernelView } : {}),
              ...(layers.bfd ? { bfd: layers.bfd } : {}),
              ...(layers.shutdown ? { shutdown: layers.shutdown } : {}),
            },
            command,
            args,
          ),
        {
          log,
          ...(config.control.group !== undefined ? { group: systemGroupId(config.control.group) } : {}),
        },
      );
      if (config.metrics.enabled) await agent.startHttp();
    } catch (e) {
      await agent.stop("start-up failed");
      throw e;
    }
    agent.health.configLoaded = true;
    log.info(
      {
        version: VERSION,
        config: options.configPath,
        control: agent.controlPath,
        http: agent.httpAddress,
        peers: config.speaker.peers.length,
      },
      "flatroute agent started",
    );
    return agent;
  }

  get controlPath(): string {
    return this.options.controlSocket ?? this.config.control.socket;
  }

  /** "address:port" of /metrics, /healthz and /readyz; undefined when disabled. */
  get httpAddress(): string | undefined {
    if (!this.http) return undefined;
    const a = this.http.address();
    return a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  /**
   * Re-reads the config file. With `check` only validates it; otherwise hands
   * the new model to the speaker. An invalid file leaves the running config
   * untouched and rejects with a CommandError listing the problems.
   */
  configure(check: boolean): Promise<string> {
    const run = this.reloads.then(() => this.reload(check));
    this.reloads = run.catch(() => undefined);
    return run;
  }

  /**
   * Composes the speaker config from the running file config and the current
   * cluster state and applies it if it changed; serialized with reloads.
   */
  applyCluster(): Promise<void> {
    const run = this.reloads.then(async () => {
      const cluster = this.layers.cluster;
      if (!cluster || this.stopping) return;
      const next = cluster.compose(this.config);
      if (!next && this.layers.nodeDeleted) {
        this.log.warn(
          { node: cluster.nodeName },
          "this node was deleted from the cluster: withdrawing its routes and exiting",
        );
        this.layers.nodeDeleted();
        return;
      }
      if (!next) {
        this.log.warn(
          { node: cluster.nodeName },
          "this node vanished from the cluster; keeping the running configuration",
        );
        return;
      }
      if (isDeepStrictEqual(next, this.applied)) return;
      await this.speaker.reconfigure(next);
      this.applied = next;
      this.log.info(
        { peers: next.peers.length, prefixes: next.prefixes.length },
        "applied the cluster's configuration",
      );
    });
    this.reloads = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends a Cease with `message` to every peer (shaped by `intent`, see
   * SpeakerApi.stop), closes the control socket and the HTTP endpoint. Idempotent.
   */
  stop(message: string, intent?: CloseIntent): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ message, ...(intent ? { intent } : {}) }, "flatroute agent stopping");
      this.layers.cluster?.stop();
      try {
        await this.speaker.stop(message, intent);
      } finally {
        await Promise.allSettled([this.control?.close(), this.http?.close()]);
        this.health.close();
        this.eventLoop.stop();
      }
    })();
    return this.stopping;
  }

  /** "show kernel": the chosen routes against what the kernel layer installed. */
  private get kernelView(): KernelView | undefined {
    const fib = this.layers.fib;
    if (!fib) return undefined;
    return {
      diff: async () => {
        const installed = fib.stats().installed;
        const differences = await walkKernelDifferences(this.speaker.routeTable(), fib, installed);
        const s = fib.stats();
        const synced = differences.length === 0 && fibSyncProblem(s) === undefined;
        return { synced, installed: s.installed, differences };
      },
    };
  }

  private async startHttp(): Promise<void> {
    const { address, port } = this.config.metrics;
    const fib = this.layers.fib;
    const { registry } = createMetrics(
      {
        speaker: this.speaker,
        reloads: () => this.reloadMetrics(),
        eventLoop: () => this.eventLoop.read(),
        ...(fib ? { fib: () => fib.stats() } : {}),
      },
      { version: VERSION },
    );
    this.http = await ControlHttpServer.listen({ host: address, port, registry, health: this.health });
  }

  private reloadMetrics(): ReloadStats {
    const r = this.reloadStats;
    const out: ReloadStats = { count: r.count, lastSuccess: r.lastSuccess };
    if (r.lastAttempt) out.lastTimestamp = Date.parse(r.lastAttempt);
    return out;
  }

  private info(): AgentInfo {
    const cluster = this.layers.cluster;
    const out: AgentInfo = {
      configFile: this.options.configPath,
      node: cluster?.nodeName ?? hostname(),
      reloads: { ...this.reloadStats },
      eventLoop: this.eventLoop.read(),
    };
    if (cluster) out.kubernetes = cluster.info();
    if (this.lastReconfigure) out.lastReconfigure = this.lastReconfigure;
    const http = this.httpAddress;
    if (http) out.http = http;
    return out;
  }

  private noteReload(error: string | undefined): void {
    const r = this.reloadStats;
    r.count++;
    r.lastSuccess = error === undefined;
    r.lastAttempt = new Date().toISOString();
    if (error === undefined) delete r.lastError;
    else r.lastError = error;
  }

  private async reload(check: boolean): Promise<string> {
    const path = this.options.configPath;
    let next: AgentConfig;
    try {
      next = await loadConfigFile(path);
    } catch (e) {
      if (e instanceof ConfigError) {
        this.log.error(
          { config: path, problems: e.problems, check },
          check ? "configuration check failed" : "configuration rejected; keeping the running one",
        );
        if (!check) this.noteReload(e.message);
        throw new CommandError(e.message);
      }
      if (!check) this.noteReload((e as Error).message);
      throw e;
    }
    if (check) return `Reading configuration from ${path}\nConfiguration OK`;

    const cluster = this.layers.cluster;
    const speakerConfig = cluster ? cluster.compose(next) : next.speaker;
    try {
      if (speakerConfig) {
        await this.speaker.reconfigure(speakerConfig);
        this.applied = speakerConfig;
      }
    } catch (e) {
      this.noteReload((e as Error).message);
      this.log.error({ config: path, err: e }, "reconfiguration failed");
      throw e;
    }
    if (!this.options.logLevel && next.log.level !== this.log.level) {
      this.log.info({ from: this.log.level, to: next.log.level }, "log level changed");
      this.log.level = next.log.level;
    }
    next = this.keepRestartOnly(next);
    this.config = next;
    this.lastReconfigure = new Date().toISOString();
    this.noteReload(undefined);
    this.log.info({ config: path, peers: next.speaker.peers.length }, "reconfigured");
    return `Reading configuration from ${path}\nReconfigured`;
  }

  /** Settings bound to open sockets change only with a restart: warn and keep the running values. */
  private keepRestartOnly(next: AgentConfig): AgentConfig {
    const out = { ...next };
    if (!this.options.controlSocket && next.control.socket !== this.config.control.socket) {
      this.log.warn(
        { running: this.config.control.socket, configured: next.control.socket },
        "control.socket changes take effect after a restart",
      );
      out.control = this.config.control;
    }
    const a = this.config.metrics;
    const b = next.metrics;
    if (a.enabled !== b.enabled || a.address !== b.address || a.port !== b.port) {
      this.log.warn({ running: a, configured: b }, "metrics changes take effect after a restart");
      out.metrics = a;
    }
    if (!isDeepStrictEqual(this.config.kernel, next.kernel)) {
      this.log.warn(
        { running: this.config.kernel, configured: next.kernel },
        "kernel changes take effect after a restart",
      );
      out.kernel = this.config.kernel;
    }
    if (!isDeepStrictEqual(this.config.kubernetes, next.kubernetes)) {
      this.log.warn(
        { running: this.config.kubernetes, configured: next.kubernetes },
        "kubernetes changes take effect after a restart",
      );
      if (this.config.kubernetes) out.kubernetes = this.config.kubernetes;
      else delete out.kubernetes;
    }
    return out;
  }
}
