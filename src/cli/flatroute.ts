#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --no-memory-reducer --harmony-rab-gsab-transfer
// `flatroute agent`: the node agent. Loads the config, runs the BGP speaker
// and the control socket, reloads on SIGHUP, shuts down on SIGTERM/SIGINT.
import { resolve } from "node:path";
import { Command, Option } from "commander";
import pino, { type Logger } from "pino";
import { BfdManager } from "../bfd/manager";
import { BfdSpeaker } from "../bfd/speaker-link";
import { Speaker } from "../bgp/speaker";
import { CniConfigWriter } from "../cni/writer";
import { ConfigError, loadConfigFile } from "../config/load";
import { LOG_LEVELS, type LogLevel } from "../config/schema";
import { CommandError } from "../control/commands";
import type { KubernetesMode } from "../k8s/mode";
import { type AgentKernel, startAgentKernel } from "../kernel/agent-fib";
import { Agent, type AgentOptions, type ClusterSource, type SpeakerFactory } from "./agent";
import { restartDecision } from "./restart-detect";
import { releaseStartupPages } from "./startup-pages";
import { VERSION } from "./version";

/** Exit codes: 1 failed at start-up or forced exit, 2 invalid configuration. */
const EXIT_FAILED = 1;
const EXIT_BAD_CONFIG = 2;
const SHUTDOWN_GRACE_MS = 5000;

interface AgentFlags {
  config: string;
  controlSocket?: string;
  logLevel?: LogLevel;
  restarting?: boolean;
}

/** RFC 9003 shutdown communication sent to every peer on SIGTERM/SIGINT. */
export const SHUTDOWN_MESSAGE = "flatroute agent shutting down";
/** RFC 9003 communication of `flatroutec shutdown`: this node leaves routing. */
export const REMOVAL_MESSAGE = "flatroute agent removed from routing";

async function runAgent(flags: AgentFlags): Promise<void> {
  // Absolute, so "show status" and reload messages name the file whatever the working directory.
  const options: AgentOptions = { configPath: resolve(flags.config) };
  if (flags.controlSocket) options.controlSocket = flags.controlSocket;
  if (flags.logLevel) options.logLevel = flags.logLevel;

  let config: Awaited<ReturnType<typeof loadConfigFile>>;
  try {
    config = await loadConfigFile(options.configPath);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }

  const log = pino({ level: flags.logLevel ?? config.log.level, timestamp: pino.stdTimeFunctions.isoTime });
  // Kubernetes mode connects before anything else opens: without its node
  // there is no router ID, no ASN and no Pod CIDR to route.
  let cluster: ClusterSource | undefined;
  // Held apart from `cluster` (the agent's view of it): the CNI writer needs its Pod CIDRs.
  let kube: KubernetesMode | undefined;
  if (config.kubernetes) {
    // Loaded only in this mode: the client library is large and ESM.
    const k8s = await import("../k8s/mode.js");
    const { KubernetesSetupError } = await import("../k8s/client.js");
    try {
      kube = await k8s.KubernetesMode.connect(config.kubernetes, log);
      cluster = kube;
    } catch (e) {
      if (e instanceof KubernetesSetupError) {
        process.stderr.write(`flatroute: ${e.message}\n`);
        process.exit(EXIT_BAD_CONFIG);
      }
      log.fatal({ err: e }, "flatroute agent cannot sync with the Kubernetes API");
      process.exit(EXIT_FAILED);
    }
  }
  // The node's CNI config follows its Pod CIDRs, so kubelet gives pods the addresses we advertise.
  const cni = config.cni && kube ? new CniConfigWriter(config.cni, log) : undefined;
  // update() never rejects: failures become the writer's problem() (/readyz).
  if (cni) kube?.onPodCidrs((cidrs) => void cni.update(cidrs));
  // The kernel FIB opens first: it adopts the routes a previous run left, so
  // nothing is removed while the sessions come back (graceful restart).
  let kernel: AgentKernel | undefined;
  try {
    kernel = await startAgentKernel(config.kernel, config.speaker.gracefulRestart.enabled, log);
  } catch (e) {
    log.fatal({ err: e }, "flatroute agent cannot open the kernel routing table");
    process.exit(EXIT_FAILED);
  }
  const fib = kernel?.fib;
  // Next-hop tracking: paths whose next hop the kernel cannot reach are not chosen (docs/routing.md).
  const nextHops = kernel?.nextHops;
  // RFC 4724 restarting speaker: the kernel routes were left in place, so peers may keep ours.
  // Told by --restarting or found by ourselves: a DaemonSet starts every run the same way.
  const restart = restartDecision({
    forced: flags.restarting === true,
    gracefulRestart: config.speaker.gracefulRestart.enabled,
    inheritedRoutes: fib?.inheritedRoutes,
  });
  log.info(
    { reason: restart.reason },
    restart.restarting ? "graceful restart: this start follows a restart" : "fresh start",
  );
  // BFD runs beside the speaker: BfdSpeaker keeps its sessions in step with the
  // peer configs and takes a BGP session down when its BFD session fails (docs/bfd.md).
  const bfd = new BfdManager({ log: log.child({ layer: "bfd" }) });
  const createSpeaker: SpeakerFactory = (c, l, hooks) =>
    new BfdSpeaker(
      new Speaker(c, l, {
        ...hooks,
        restarting: restart.restarting,
        fib,
        ...(nextHops ? { nextHops } : {}),
        warmUp: true,
      }),
      bfd,
      c,
    );
  let agent: Agent;
  const stopper = new Stopper(kernel, log);
  try {
    agent = await Agent.start(options, config, log, createSpeaker, {
      ...(fib ? { fib } : {}),
      bfd,
      ...(cluster ? { cluster } : {}),
      ...(cni ? { readiness: () => cniReadiness(cni) } : {}),
      shutdown: () => stopper.remove(),
      // A deleted node leaves routing the way `flatroutec shutdown` makes it: peers drop its routes at once.
      nodeDeleted: () => {
        stopper.remove().catch(() => undefined);
      },
    });
  } catch (e) {
    log.fatal({ err: e }, "flatroute agent failed to start");
    await fib?.stop({ keepRoutes: true });
    process.exit(EXIT_FAILED);
  }
  stopper.attach(agent);
  handleSignals(agent, stopper, log);
  const released = releaseStartupPages();
  if (released)
    log.info(
      {
        residentFileMB: Math.round(released.fileAfter / 2 ** 20),
        releasedFileMB: Math.round((released.fileBefore - released.fileAfter) / 2 ** 20),
        releasedAnonMB: Math.round((released.anonBefore - released.anonAfter) / 2 ** 20),
      },
      "start-up pages released",
    );
}

function cniReadiness(writer: CniConfigWriter): string[] {
  const p = writer.problem();
  return p ? [`CNI: ${p}`] : [];
}

function handleSignals(agent: Agent, stopper: Stopper, log: Logger): void {
  process.on("SIGHUP", () => {
    log.info("SIGHUP: reloading configuration");
    // A rejected config is already logged by the agent with its problems.
    agent.configure(false).catch(() => undefined);
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, "shutting down");
    stopper.restart();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/**
 * The two ways the agent ends. A signal (kubelet stops every DaemonSet pod with
 * SIGTERM, upgrades included) is a restart: with graceful restart the kernel
 * routes stay and peers keep ours as stale until the next run's End-of-RIB.
 * `flatroutec shutdown` is a removal: peers drop our routes (Hard Reset), the
 * kernel routes go, and the next start finds nothing to adopt.
 */
class Stopper {
  private agent: Agent | undefined;
  private stopping = false;

  constructor(
    private readonly kernel: AgentKernel | undefined,
    private readonly log: Logger,
  ) {}

  attach(agent: Agent): void {
    this.agent = agent;
  }

  restart(): void {
    const agent = this.agent;
    if (!agent || !this.begin()) return;
    // The FIB stops first: stopping the sessions withdraws their routes from the RIB, and
    // with graceful restart those must stay in the kernel (peers keep forwarding to us and
    // the next run adopts them). Without graceful restart fib.stop() removes them itself.
    // Next-hop tracking stops with it: the withdrawals that follow must not be recomputed against the kernel.
    this.kernel?.nextHops.stop();
    // As configured now: graceful restart may have been turned on or off since the start.
    const graceful = agent.gracefulRestart;
    this.finish(
      Promise.resolve(this.kernel?.fib.stop({ keepRoutes: graceful })).then(() =>
        agent.stop(SHUTDOWN_MESSAGE, graceful ? "restart" : undefined),
      ),
    );
  }

  /** Withdraws from peers and kernel; resolves with the reply text, then the process exits. */
  async remove(): Promise<string> {
    const agent = this.agent;
    if (!agent || !this.begin()) throw new CommandError("the agent is already shutting down");
    this.log.info("shutdown command: withdrawing this node's routes and exiting");
    const peers = agent.speaker.peers().length;
    let removed = 0;
    try {
      // Peers first, so they stop forwarding to us before our routes leave the kernel.
      await agent.speaker.stop(REMOVAL_MESSAGE, "remove");
      this.kernel?.nextHops.stop();
      removed = this.kernel?.fib.stats().installed ?? 0;
      await this.kernel?.fib.stop({ keepRoutes: false });
    } catch (e) {
      this.finish(Promise.reject(e));
      throw e;
    }
    // After the reply is written: agent.stop closes the control socket.
    setImmediate(() => this.finish(agent.stop(REMOVAL_MESSAGE, "remove")));
    return `Shutdown: ${peers} peers told to drop this node's routes, ${removed} kernel routes removed; exiting`;
  }

  private begin(): boolean {
    if (this.stopping) return false;
    this.stopping = true;
    setTimeout(() => {
      this.log.error({ graceMs: SHUTDOWN_GRACE_MS }, "shutdown took too long; exiting anyway");
      process.exit(EXIT_FAILED);
    }, SHUTDOWN_GRACE_MS).unref();
    return true;
  }

  private finish(done: Promise<unknown>): void {
    done.then(
      () => process.exit(0),
      (e: unknown) => {
        this.log.error({ err: e }, "error while shutting down");
        process.exit(EXIT_FAILED);
      },
    );
  }
}

export function buildProgram(): Command {
  const program = new Command("flatroute").description("BGP routing agent for Kubernetes nodes");
  program
    .command("agent")
    .description("Run the agent in the foreground (logs as JSON lines on stdout)")
    .requiredOption("-c, --config <file>", "YAML configuration file")
    .option("--control-socket <path>", "control socket path (overrides control.socket)")
    .addOption(new Option("--log-level <level>", "log level (overrides log.level)").choices(LOG_LEVELS))
    .option(
      "--restarting",
      "graceful restart: treat this start as a restart with forwarding state kept (R and F bits) even if no routes of a previous run are found in the kernel",
    )
    .action((flags: AgentFlags) => runAgent(flags));
  program
    .command("version")
    .description("Print the version")
    .action(() => {
      process.stdout.write(`flatroute ${VERSION}\n`);
    });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      process.stderr.write(`flatroute: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(EXIT_FAILED);
    });
}
