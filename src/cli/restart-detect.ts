// Whether this start of the agent is a graceful restart (RFC 4724: the R and
// F bits, exports deferred until End-of-RIB). A DaemonSet cannot pass
// `--restarting` to one start and not the next, so the agent tells by itself:
// routes of its own protocol in its table that a previous run left (its Pod
// CIDR blackhole counts) mean forwarding state was kept. A `flatroutec
// shutdown` removes them, so the start after it is a fresh one.

export interface RestartFacts {
  /** `--restarting` was given. */
  forced: boolean;
  /** speaker.gracefulRestart.enabled: without it there is nothing to restart gracefully. */
  gracefulRestart: boolean;
  /** Routes the kernel FIB adopted from a previous run; undefined when kernel sync is off. */
  inheritedRoutes: number | undefined;
}

export interface RestartDecision {
  restarting: boolean;
  /** Why, for the log line. */
  reason: string;
}

export function restartDecision(f: RestartFacts): RestartDecision {
  if (!f.gracefulRestart) {
    return {
      restarting: false,
      reason: f.forced
        ? "--restarting ignored: graceful restart is disabled"
        : "graceful restart is disabled",
    };
  }
  if (f.forced) return { restarting: true, reason: "--restarting given" };
  if (f.inheritedRoutes === undefined)
    return { restarting: false, reason: "kernel sync is off: no forwarding state to find" };
  if (f.inheritedRoutes > 0) {
    return {
      restarting: true,
      reason: `${f.inheritedRoutes} routes of a previous run found in the kernel (forwarding state kept)`,
    };
  }
  return { restarting: false, reason: "no routes of a previous run in the kernel: fresh start" };
}
