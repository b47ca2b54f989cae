#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1
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
import type { KubernetesMode } from "../k8s/mode";
import { type AgentKernel, startAgentKernel } from "../kernel/agent-fib";
import { Agent, type AgentOptions, type ClusterSource, type SpeakerFactory } from "./agent";
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
  // BFD runs beside the speaker: BfdSpeaker keeps its sessions in step with the
  // peer configs and takes a BGP session down when its BFD session fails (docs/bfd.md).
  const bfd = new BfdManager({ log: log.child({ layer: "bfd" }) });
  const createSpeaker: SpeakerFactory = (c, l, hooks) =>
    new BfdSpeaker(
      new Speaker(c, l, {
        ...hooks,
        restarting: flags.restarting === true,
        fib,
        ...(nextHops ? { nextHops } : {}),
        warmUp: true,
      }),
      bfd,
      c,
    );
  let agent: Agent;
  try {
    agent = await Agent.start(options, config, log, createSpeaker, {
      ...(fib ? { fib } : {}),
      bfd,
      ...(cluster ? { cluster } : {}),
      ...(cni ? { readiness: () => cniReadiness(cni) } : {}),
    });
  } catch (e) {
    log.fatal({ err: e }, "flatroute agent failed to start");
    nextHops?.stop();
    await fib?.stop({ keepRoutes: true });
    process.exit(EXIT_FAILED);
  }
  handleSignals(agent, kernel, log);
}

function cniReadiness(writer: CniConfigWriter): string[] {
  const p = writer.problem();
  return p ? [`CNI: ${p}`] : [];
}

function handleSignals(agent: Agent, kernel: AgentKernel | undefined, log: Logger): void {
  process.on("SIGHUP", () => {
    log.info("SIGHUP: reloading configuration");
    // A rejected config is already logged by the agent with its problems.
    agent.configure(false).catch(() => undefined);
  });
  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "shutting down");
    setTimeout(() => {
      log.error({ graceMs: SHUTDOWN_GRACE_MS }, "shutdown took too long; exiting anyway");
      process.exit(EXIT_FAILED);
    }, SHUTDOWN_GRACE_MS).unref();
    // The FIB stops first: stopping the sessions withdraws their routes from the RIB, and
    // with graceful restart those must stay in the kernel (peers keep forwarding to us and
    // the next run adopts them). Without graceful restart fib.stop() removes them itself.
    // Next-hop tracking stops with it: the withdrawals that follow must not be recomputed against the kernel.
    kernel?.nextHops.stop();
    Promise.resolve(kernel?.fib.stop())
      .then(() => agent.stop(SHUTDOWN_MESSAGE))
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error({ err: e }, "error while shutting down");
          process.exit(EXIT_FAILED);
        },
      );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
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
      "graceful restart: this start follows a restart with forwarding state kept (advertise the R and F bits)",
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
