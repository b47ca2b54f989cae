// Waiting on observable state instead of sleeping: every wait has a deadline and
// fails with what it last saw, so a red test says what the system looked like.

export interface WaitOptions<T> {
  timeoutMs: number;
  intervalMs?: number;
  /** Human description of the awaited condition, used in the error. */
  what: string;
  /** Condition on the observed value; default: truthy. */
  until?: (value: T) => boolean;
  /** Checked every round: a reason string ends the wait at once (e.g. the daemon exited). */
  giveUpIf?: () => string | undefined;
}

export class WaitTimeout extends Error {
  constructor(
    message: string,
    readonly last: unknown,
  ) {
    super(message);
    this.name = "WaitTimeout";
  }
}

export function describeValue(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (typeof v === "string") return JSON.stringify(v.length > 2000 ? `${v.slice(0, 2000)}…` : v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
  } catch {
    return String(v);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until `until(value)` holds (default: value is truthy) and returns that value.
 * A throwing `fn` counts as "not yet"; its error becomes the last observation.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions<T>): Promise<T> {
  const until = opts.until ?? ((v: T) => Boolean(v));
  const interval = opts.intervalMs ?? 250;
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown = "(never observed)";
  for (;;) {
    try {
      const value = await fn();
      last = value;
      if (until(value)) return value;
    } catch (err) {
      last = err;
    }
    const reason = opts.giveUpIf?.();
    if (reason !== undefined) {
      throw new WaitTimeout(
        `gave up waiting for ${opts.what}: ${reason}; last observed: ${describeValue(last)}`,
        last,
      );
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeout(
        `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}; last observed: ${describeValue(last)}`,
        last,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Proves a negative over a window: polls `fn` for `windowMs` and fails as soon
 * as `holds(value)` is false. A window is the only way to observe "never".
 */
export async function holdsFor<T>(
  fn: () => T | Promise<T>,
  opts: { windowMs: number; intervalMs?: number; what: string; holds: (value: T) => boolean },
): Promise<void> {
  const interval = opts.intervalMs ?? 250;
  const end = Date.now() + opts.windowMs;
  for (;;) {
    const value = await fn();
    if (!opts.holds(value)) {
      throw new Error(
        `expected ${opts.what} throughout ${opts.windowMs} ms; observed: ${describeValue(value)}`,
      );
    }
    if (Date.now() >= end) return;
    await sleep(Math.min(interval, Math.max(0, end - Date.now())));
  }
}
