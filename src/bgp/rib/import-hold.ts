// Why a peer's UPDATEs are ignored for now: its session is held down for
// exceeding its max-prefix limit, or after an internal error importing them.
// A class of its own because the ingestion fast path reads it per UPDATE:
// the JIT warm-up (warm-up.ts) hands the visitor one too, so the machine
// code V8 makes there meets the same object in a real session instead of
// being thrown away (deoptimized) at the first real UPDATE.

/** One reason for a hold, and the timer that ends it. */
export interface HoldReason {
  message: string;
  timer?: NodeJS.Timeout;
}

export class ImportHold {
  /** Set while the session is down for exceeding its max-prefix limit. */
  maxPrefix: HoldReason | undefined = undefined;
  /** Set while the session is down after an internal error importing its UPDATEs. */
  fault: HoldReason | undefined = undefined;

  get active(): boolean {
    return this.maxPrefix !== undefined || this.fault !== undefined;
  }

  /** Ends both holds (an operator's enable, disable or restart), their timers with them. */
  clear(): void {
    this.stopTimers();
    this.maxPrefix = undefined;
    this.fault = undefined;
  }

  /** Stops the timers that would end the holds (the speaker stops or the peer leaves); the holds stay. */
  stopTimers(): void {
    if (this.maxPrefix?.timer) clearTimeout(this.maxPrefix.timer);
    if (this.fault?.timer) clearTimeout(this.fault.timer);
  }
}
