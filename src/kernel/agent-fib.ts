// What the agent needs to run the kernel FIB: settings with their defaults and
// one call that opens it in the agent's own network namespace. Kept here so
// that wiring it into `flatroute agent` is a few lines in src/cli.
import type { Logger } from "pino";
import { startLinuxFib } from "./index";
import type { KernelFib } from "./kernel-fib";

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

/** Opens the FIB, or returns undefined when disabled. With graceful restart our routes outlive the process. */
export async function startAgentFib(
  settings: KernelSettings,
  gracefulRestart: boolean,
  log: Logger,
): Promise<KernelFib | undefined> {
  if (!settings.enabled) return undefined;
  const child = log.child({ component: "kernel" });
  return startLinuxFib({
    table: settings.table,
    protocol: settings.protocol,
    metric: settings.metric,
    localRouteType: settings.localRoutes,
    localMetric: settings.localMetric,
    gracefulRestart,
    staleTimeoutMs: settings.staleTimeoutSeconds * 1000,
    log: { debug: (m) => child.debug(m), info: (m) => child.info(m), warn: (m) => child.warn(m) },
  });
}
