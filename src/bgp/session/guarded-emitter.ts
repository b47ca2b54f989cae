// An EventEmitter whose owner runs every entry point through guard(): a throw
// inside is logged instead of escaping to a socket or timer callback, and
// events queued with deliver() reach listeners only once the outermost entry
// point has finished its bookkeeping, in order. A listener that calls back
// into the owner therefore always sees consistent state, and its own events
// queue behind the ones already pending.
import { EventEmitter } from "node:events";

type EventMap<T> = Record<keyof T, unknown[]>;
type Delivery<T extends EventMap<T>> = { [K in keyof T]: [K, ...T[K]] }[keyof T];

export class GuardedEmitter<T extends EventMap<T>> extends EventEmitter<T> {
  private depth = 0;
  private flushing = false;
  private outbox: Delivery<T>[] = [];

  constructor(private readonly report: (msg: string) => void) {
    super();
  }

  protected guard(fn: () => void): void {
    this.depth++;
    try {
      fn();
    } catch (e) {
      this.report(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.flush();
  }

  /** True when no event waits for delivery: work done now cannot overtake one. */
  protected get nothingPending(): boolean {
    return this.outbox.length === 0;
  }

  protected deliver(d: Delivery<T>): void {
    this.outbox.push(d);
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let d = this.outbox.shift(); d; d = this.outbox.shift()) {
        try {
          (this.emit as (...args: unknown[]) => boolean)(...d);
        } catch (e) {
          this.report(`'${String(d[0])}' listener threw: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
