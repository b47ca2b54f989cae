// Time as the session sees it. Injected so tests drive hold, keepalive and
// retry timers with a fake clock instead of sleeping.

/** Opaque: whatever the clock returned from setTimeout. */
export type TimerHandle = object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One restartable timer on a clock: arm() replaces any pending expiry. */
export class Timer {
  private handle: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: () => void,
  ) {}

  get armed(): boolean {
    return this.handle !== null;
  }

  arm(ms: number): void {
    this.stop();
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      this.onExpire();
    }, ms);
  }

  stop(): void {
    if (this.handle !== null) {
      this.clock.clearTimeout(this.handle);
      this.handle = null;
    }
  }
}
