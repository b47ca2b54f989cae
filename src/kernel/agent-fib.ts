// What the agent needs to run the kernel FIB: settings with their defaults and
// one call that opens it in the agent's own network namespace. Kept here so
// that wiring it into `flatroute agent` is a few lines in src/cli.
import type { Logger } from "pino";
import { startLinuxFib } from "./index";
import { type FibLog, KernelFib } from "./kernel-fib";
import { NetlinkRouteBackend } from "./netlink/backend";
import { KernelNextHopTracker } from "./next-hop-tracker";

export interface KernelSettings {
  /** Program learned routes into the kernel (off: the RIB only feeds exports and `show route`). */
  enabled: boolean;
  table: number;
  protocol: number;
  metric: number;
  /** How the node's own Pod CIDRs are installed, and at which metric (above a CNI bridge's connected route). */
  localRoutes: "blackhole" | "unreachable";
  localMetric: number;
  /** Stale routes of a previous run are swept after this long if End-of-RIB never comes from every peer. */
  staleTimeoutSeconds: number;
}

export const KERNEL_DEFAULTS: KernelSettings = {
  enabled: true,
  table: 254,
  protocol: 186,
  metric: 20,
  localRoutes: "blackhole",
  localMetric: 4096,
  staleTimeoutSeconds: 120,
};

function fibOptions(settings: KernelSettings, gracefulRestart: boolean, log: FibLog) {
  return {
    table: settings.table,
    protocol: settings.protocol,
    metric: settings.metric,
    localRouteType: settings.localRoutes,
    localMetric: settings.localMetric,
    gracefulRestart,
    staleTimeoutMs: settings.staleTimeoutSeconds * 1000,
    log,
  };
}

function fibLog(log: Logger): FibLog {
  const child = log.child({ component: "kernel" });
  return { debug: (m) => child.debug(m), info: (m) => child.info(m), warn: (m) => child.warn(m) };
}

/** Opens the FIB, or returns undefined when disabled. With graceful restart our routes outlive the process. */
export async function startAgentFib(
  settings: KernelSettings,
  gracefulRestart: boolean,
  log: Logger,
): Promise<KernelFib | undefined> {
  if (!settings.enabled) return undefined;
  return startLinuxFib(fibOptions(settings, gracefulRestart, fibLog(log)));
}

/** The kernel layer of the agent: the FIB and the next-hop tracker the RIB consults, on one netlink backend. */
export interface AgentKernel {
  fib: KernelFib;
  nextHops: KernelNextHopTracker;
}

/**
 * startAgentFib plus next-hop tracking: the tracker reads reachability from
 * the same kernel table the FIB installs into. Undefined when disabled, and
 * then the RIB counts every next hop as reachable. Stop the tracker before the FIB (which closes the backend).
 */
export async function startAgentKernel(
  settings: KernelSettings,
  gracefulRestart: boolean,
  log: Logger,
): Promise<AgentKernel | undefined> {
  if (!settings.enabled) return undefined;
  const flog = fibLog(log);
  const backend = NetlinkRouteBackend.open({ quietProtocol: settings.protocol });
  try {
    const fib = await KernelFib.start({ ...fibOptions(settings, gracefulRestart, flog), backend });
    const nextHops = await KernelNextHopTracker.start({ backend, protocol: settings.protocol, log: flog });
    return { fib, nextHops };
  } catch (e) {
    backend.close();
    throw e;
  }
}
