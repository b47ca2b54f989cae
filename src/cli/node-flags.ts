// Node/V8 flags the agent is run with (the `flatroute` bin's shebang, the container's ENTRYPOINT, the
// benchmarks and the interop lab all pass these). They have to be on the
// node command line: V8 sizes its heap when the process starts, and
// v8.setFlagsFromString from inside the agent no longer changes it.
//
// --max-semi-space-size=1: a 1 MB young generation. The agent allocates
// little per route (the RIB lives in typed arrays), so a bigger nursery only
// adds RSS: about 15 MB less peak RSS for a 1,000,000-prefix table at the
// same speed (docs/performance.md, "BGP ingestion").
//
// --no-memory-reducer: V8's memory reducer collects and compacts the whole
// heap once the agent turns quiet after an import, in one pause measured at
// 24 ms at 1,000,000 routes: a stall of the event loop above the 20 ms any
// query may cost, with no query running. Without it the heap is collected
// as it grows, in short incremental steps (docs/performance.md, "Queries").
//
// --harmony-rab-gsab-transfer: ArrayBuffer.prototype.transfer (ES2024, on by
// default from Node 21), so a typed array grown by doubling frees its old
// memory at once instead of at some later collection (src/util/typed-arrays.ts):
// peak RSS at 1,000,000 routes no longer varies by up to 8 MB between runs.
export const AGENT_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--no-memory-reducer",
  "--harmony-rab-gsab-transfer",
];

// MALLOC_ARENA_MAX=1: one glibc malloc arena for every thread. V8's compiler
// and GC helper threads otherwise each keep an arena of their own, whose freed
// memory the main thread cannot reuse: about 3 MB less peak RSS for a
// 1,000,000-prefix table, at the same speed (docs/performance.md). Like the
// flags it must be set before the process starts (the bin's shebang sets it
// through env -S, the Dockerfile with ENV).
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "1" };
