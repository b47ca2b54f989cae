// A manual clock for session tests: timers fire only when the test advances time.
import type { Clock, TimerHandle } from "../../src/bgp/session/clock";

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.pending.push(p);
    return { id: p.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id: number }).id;
    this.pending = this.pending.filter((p) => p.id !== id);
  }

  /** Delays of the timers currently armed, soonest first, relative to now. */
  armed(): number[] {
    return this.pending.map((p) => p.at - this.t).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order (including ones they arm). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }

  /** Fires the soonest timer, whatever its delay; returns the delay or null when none is armed. */
  fireNext(): number | null {
    const due = [...this.pending].sort((a, b) => a.at - b.at || a.id - b.id)[0];
    if (!due) return null;
    const delay = due.at - this.t;
    this.advance(delay);
    return delay;
  }
}
