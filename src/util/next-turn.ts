// Resolves on the next turn of the event loop (setImmediate): how long-running
// work (a dump, a table scan, reading a netlink reply) lets sessions, timers
// and other clients run between its slices. One helper instead of a promise
// made by hand in each place, and no import of node:timers/promises, which a
// one-shot flatroutec would otherwise load at start through the command table.
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
