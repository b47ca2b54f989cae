// A small deterministic generator for model-based tests that replay the same
// long operation sequence on every run (a failure is reproducible by seed).
/** Returns rand(n): an integer in [0, n), from a linear congruential sequence started at `seed`. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}
