// Liveness and readiness for the kubelet probes.
// Liveness asks only "is this process still able to do work": the event loop
// is not stalled. It never looks at BGP, because restarting the agent does not
// bring a peer back. Readiness asks "is this node routing as configured": the
// config is loaded, the FIB is in sync and every enabled peer is Established.
import type { SpeakerApi } from "../bgp/speaker-api";

export interface Verdict {
  ok: boolean;
  /** Why not, one operator-readable line each; empty when ok. */
  reasons: string[];
}

export const DEFAULT_STALL_THRESHOLD_MS = 5_000;

/**
 * Event-loop lag by timer drift: an unref'd interval notes when it actually
 * fired; lag is how late the last tick was, or how overdue the next one is
 * right now (which is what a request served just after a long block sees).
 */
export class LoopDriftMonitor {
  private last = performance.now();
  private lastDrift = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly intervalMs = 500) {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lastDrift = Math.max(0, now - this.last - this.intervalMs);
      this.last = now;
    }, intervalMs);
    this.timer.unref();
  }

  lagMs(): number {
    const overdue = performance.now() - this.last - this.intervalMs;
    return Math.max(this.lastDrift, overdue, 0);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface HealthOptions {
  speaker: SpeakerApi;
  /** Lag above which the process counts as stalled; default 5 s. */
  stallThresholdMs?: number;
  /** Current event-loop lag in ms; by default a LoopDriftMonitor owned (and stopped by close()) here. */
  loopLag?: () => number;
  /**
   * The FIB layer's answer: undefined when the kernel table matches the chosen
   * routes, else why not (e.g. "initial sync running"). Absent: no FIB layer,
   * the `fibSynced` flag alone decides.
   */
  fibProblem?: () => string | undefined;
  /** Further reasons from other layers (Kubernetes mode: no Pod CIDR yet, API not synced). */
  extraProblems?: () => string[];
  /**
   * "all": every enabled peer must be Established (a router with a fixed set of neighbours).
   * "any": one Established session is enough (a Kubernetes node: one node being down must not make
   * every other node's agent unready and stall a DaemonSet rollout). Default "all".
   */
  peers?: "all" | "any";
}

export class HealthState {
  /** Set by the agent once the first config has been loaded and applied. */
  configLoaded = false;
  /** True until a FIB layer exists and says otherwise (see HealthOptions.fibProblem). */
  fibSynced = true;

  private readonly speaker: SpeakerApi;
  private readonly stallThresholdMs: number;
  private readonly loopLag: () => number;
  private readonly fibProblem: (() => string | undefined) | undefined;
  private readonly extraProblems: (() => string[]) | undefined;
  private readonly peerRule: "all" | "any";
  private readonly monitor?: LoopDriftMonitor;

  constructor(o: HealthOptions) {
    this.speaker = o.speaker;
    this.stallThresholdMs = o.stallThresholdMs ?? DEFAULT_STALL_THRESHOLD_MS;
    this.fibProblem = o.fibProblem;
    this.extraProblems = o.extraProblems;
    this.peerRule = o.peers ?? "all";
    if (o.loopLag) {
      this.loopLag = o.loopLag;
    } else {
      const monitor = new LoopDriftMonitor();
      this.monitor = monitor;
      this.loopLag = () => monitor.lagMs();
    }
  }

  liveness(): Verdict {
    const lag = this.loopLag();
    if (lag <= this.stallThresholdMs) return { ok: true, reasons: [] };
    return {
      ok: false,
      reasons: [`event loop stalled: lag ${Math.round(lag)} ms > ${this.stallThresholdMs} ms`],
    };
  }

  readiness(): Verdict {
    const reasons: string[] = [];
    if (!this.configLoaded) reasons.push("config not loaded");
    const fib = this.fibSynced ? this.fibProblem?.() : "";
    if (fib !== undefined) reasons.push(fib === "" ? "FIB not synced" : `FIB not synced: ${fib}`);
    if (this.extraProblems) reasons.push(...this.extraProblems());
    const notUp: string[] = [];
    let enabled = 0;
    for (const p of this.speaker.peers()) {
      // state "down" is an administratively disabled peer: the operator asked for it to be down.
      if (p.state === "down") continue;
      enabled++;
      if (p.bgpState === "Established") continue;
      const detail = p.info && p.info !== p.bgpState ? ` (${p.info})` : "";
      notUp.push(`peer ${p.name} not established: ${p.bgpState}${detail}`);
    }
    if (this.peerRule === "all" || (enabled > 0 && notUp.length === enabled)) reasons.push(...notUp);
    return { ok: reasons.length === 0, reasons };
  }

  close(): void {
    this.monitor?.stop();
  }
}
