// ConnectRetry backoff: doubles per failed attempt from `min` up to `max`
// seconds, then RFC 4271 section 10 jitter (a random factor in 0.75..1.0) so
// that many nodes restarted together do not reconnect in lockstep.

export const DEFAULT_CONNECT_RETRY_MIN = 1;
export const DEFAULT_CONNECT_RETRY_MAX = 60;
export const JITTER_LOW = 0.75;

/**
 * The un-jittered delay in seconds after `failures` consecutive failures:
 * 0 or 1 failure waits `min`, then 2*min, 4*min ... capped at `max`.
 */
export function backoffSeconds(failures: number, min: number, max: number): number {
  const doublings = Math.max(0, failures - 1);
  // Cap the exponent so 2**n stays finite however long a peer stays away.
  const raw = min * 2 ** Math.min(doublings, 30);
  return Math.min(raw, max);
}

/** The delay to actually wait, in milliseconds, with jitter from `random()` in [0, 1). */
export function backoffDelayMs(
  failures: number,
  min: number,
  max: number,
  random: () => number = Math.random,
): number {
  const base = backoffSeconds(failures, min, max) * 1000;
  const factor = JITTER_LOW + (1 - JITTER_LOW) * random();
  return Math.round(base * factor);
}
