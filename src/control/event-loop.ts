// How long the event loop was held: the agent's sessions, imports and
// queries share one thread, so a stall here is a late keepalive or a slow
// answer. perf_hooks' delay monitor, read into one maximum per second and
// kept for a minute; "show status" and /metrics report from it.
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/** Timer resolution of the monitor: its idle delay, subtracted from what it reports. */
const RESOLUTION_MS = 5;
/** Per-second maxima kept. */
const SECONDS_KEPT = 60;

export interface EventLoopSecond {
  /** Start of the second, ms since the epoch. */
  start: number;
  /** Longest stall in that second, in ms. */
  maxDelayMs: number;
}

export interface EventLoopData {
  /** Longest stall since the agent started, ms. */
  maxDelayMs: number;
  /** Longest stall in the last minute, ms. */
  recentMaxDelayMs: number;
  /** The last minute second by second, oldest first; the current second last. */
  seconds: EventLoopSecond[];
}

export class EventLoopWatch {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly timer: NodeJS.Timeout;
  private readonly done: EventLoopSecond[] = [];
  private currentStart = Date.now();
  private allTimeMs = 0;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => this.rotate(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  read(): EventLoopData {
    const current = { start: this.currentStart, maxDelayMs: this.currentMs() };
    const seconds = [...this.done, current];
    const recent = Math.max(...seconds.map((s) => s.maxDelayMs));
    return { maxDelayMs: Math.max(this.allTimeMs, recent), recentMaxDelayMs: recent, seconds };
  }

  private currentMs(): number {
    // The histogram holds nothing until its timer first fires.
    if (this.histogram.count === 0) return 0;
    return Math.max(0, this.histogram.max / 1e6 - RESOLUTION_MS);
  }

  private rotate(): void {
    const ms = this.currentMs();
    this.allTimeMs = Math.max(this.allTimeMs, ms);
    this.done.push({ start: this.currentStart, maxDelayMs: ms });
    if (this.done.length >= SECONDS_KEPT) this.done.shift();
    this.histogram.reset();
    this.currentStart = Date.now();
  }
}
