// One structured log line per BGP session state change, rate-limited per
// peer so a flapping session cannot flood the log: past the burst, changes
// are counted and the next line that goes through carries the count.
import type { Logger } from "pino";
import type { PeerStateChange } from "../bgp/speaker";
import { LogLimiter } from "../util/log-limiter";

/** Per peer: 20 lines a minute is a full Idle→Established cycle (5–6 changes) three times over. */
export const STATE_LOG_WINDOW_MS = 60_000;
export const STATE_LOG_BURST = 20;

export interface StateLogOptions {
  windowMs?: number;
  burst?: number;
  clock?: () => number;
}

export class SessionStateLog {
  private readonly limiter: LogLimiter;

  constructor(
    private readonly log: Logger,
    o: StateLogOptions = {},
  ) {
    this.limiter = new LogLimiter({
      windowMs: o.windowMs ?? STATE_LOG_WINDOW_MS,
      burst: o.burst ?? STATE_LOG_BURST,
      ...(o.clock ? { clock: o.clock } : {}),
    });
  }

  record(c: PeerStateChange): void {
    const decision = this.limiter.shouldLog(`state ${c.peer}`);
    if (!decision.log) return;
    const fields: Record<string, unknown> = { peer: c.peer, from: c.from, to: c.to, event: c.event };
    if (c.reason !== undefined) fields.reason = c.reason;
    let msg = `session ${c.peer}: ${c.from} -> ${c.to}`;
    if (c.reason !== undefined) msg += ` (${c.reason})`;
    if (decision.suppressed > 0) {
      fields.suppressed = decision.suppressed;
      msg += ` (${decision.suppressed} earlier state changes of this peer not logged)`;
    }
    // Losing an Established session is what an operator must notice; the rest is routine.
    if (c.from === "Established") this.log.warn(fields, msg);
    else this.log.info(fields, msg);
  }
}
