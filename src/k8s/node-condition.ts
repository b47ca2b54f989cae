// The Node's NetworkUnavailable condition, kept live (Calico sets it once and
// never again): False once this node's own routes are programmed and at least
// one session is Established; True only after every session has been down for
// `afterMs` (0: never set True). Anything in between leaves it as it is, so a
// short flap never marks the node unreachable.

export const CONDITION_TYPE = "NetworkUnavailable";
export const REASON_UP = "FlatrouteIsUp";
export const REASON_DOWN = "FlatrouteSessionsDown";

export interface NetworkFacts {
  /** The node's own routes are in the kernel (the FIB's first sync is done). */
  routesProgrammed: boolean;
  /** BGP sessions configured and Established now. */
  sessions: number;
  established: number;
}

export interface ConditionValue {
  status: "True" | "False";
  reason: string;
  message: string;
}

/** Decides the condition from the facts over time; pure but for the clock it is given. */
export class NetworkCondition {
  /** When the last Established session went down (or we started without one). */
  private downSince: number;

  constructor(
    private readonly afterMs: number,
    now: number,
  ) {
    this.downSince = now;
  }

  /** The value the condition should have now, or undefined to leave it unchanged. */
  evaluate(f: NetworkFacts, now: number): ConditionValue | undefined {
    // A node with no session to have (a single-node cluster, the first node) routes its own
    // pods as soon as its routes are in: it is not unavailable.
    if (f.established > 0 || f.sessions === 0) {
      this.downSince = now;
      if (!f.routesProgrammed) return undefined;
      return {
        status: "False",
        reason: REASON_UP,
        // Stable text: the condition is written only when it changes, so its
        // lastTransitionTime stays true.
        message: "flatroute: routes programmed and BGP sessions established",
      };
    }
    if (this.afterMs === 0 || now - this.downSince < this.afterMs) return undefined;
    return {
      status: "True",
      reason: REASON_DOWN,
      message: `flatroute: no BGP session established for more than ${Math.round(this.afterMs / 1000)} s`,
    };
  }

  /** When evaluate() may next change its answer without a new fact (the True deadline), or undefined. */
  nextDeadline(f: NetworkFacts): number | undefined {
    if (f.established > 0 || f.sessions === 0 || this.afterMs === 0) return undefined;
    return this.downSince + this.afterMs;
  }
}

/** The strategic merge patch for nodes/status that sets the condition (merged by type, others kept). */
export function conditionPatch(v: ConditionValue, now: Date): unknown {
  const time = now.toISOString();
  return {
    status: {
      conditions: [
        {
          type: CONDITION_TYPE,
          status: v.status,
          reason: v.reason,
          message: v.message,
          lastTransitionTime: time,
          lastHeartbeatTime: time,
        },
      ],
    },
  };
}
