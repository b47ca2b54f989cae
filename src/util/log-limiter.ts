// Rate limiting for log lines that repeat (a flapping peer, a route the kernel
// keeps refusing): the first `burst` lines per key per window go through, the
// rest are counted, and the next line that goes through says how many were
// dropped so the operator knows the log is not the whole story.
// Pure: no timers, time comes from `clock`.

export interface LogLimiterOptions {
  /** Length of one window in ms; a key's window starts at its first event after the previous one ended. */
  windowMs: number;
  /** Lines logged per key per window. */
  burst: number;
  /** Milliseconds, monotonic enough for windows; defaults to Date.now. */
  clock?: () => number;
}

export interface LogDecision {
  log: boolean;
  /** When `log` is true: lines suppressed for this key since the last one logged. Otherwise 0. */
  suppressed: number;
}

interface KeyState {
  windowStart: number;
  count: number;
  suppressed: number;
}

/** Past this many keys, expired keys with nothing pending are dropped so unbounded keys cannot leak memory. */
const PRUNE_ABOVE = 1024;

export class LogLimiter {
  private readonly windowMs: number;
  private readonly burst: number;
  private readonly clock: () => number;
  private readonly keys = new Map<string, KeyState>();

  constructor(o: LogLimiterOptions) {
    if (!(o.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${o.windowMs}`);
    if (!Number.isInteger(o.burst) || o.burst < 1)
      throw new RangeError(`burst must be an integer >= 1, got ${o.burst}`);
    this.windowMs = o.windowMs;
    this.burst = o.burst;
    this.clock = o.clock ?? Date.now;
  }

  shouldLog(key: string): LogDecision {
    const now = this.clock();
    let s = this.keys.get(key);
    if (!s) {
      if (this.keys.size >= PRUNE_ABOVE) this.prune(now);
      s = { windowStart: now, count: 0, suppressed: 0 };
      this.keys.set(key, s);
    } else if (now - s.windowStart >= this.windowMs) {
      s.windowStart = now;
      s.count = 0;
    }
    if (s.count >= this.burst) {
      s.suppressed++;
      return { log: false, suppressed: 0 };
    }
    s.count++;
    const suppressed = s.suppressed;
    s.suppressed = 0;
    return { log: true, suppressed };
  }

  private prune(now: number): void {
    for (const [key, s] of this.keys) {
      if (s.suppressed === 0 && now - s.windowStart >= this.windowMs) this.keys.delete(key);
    }
  }
}
