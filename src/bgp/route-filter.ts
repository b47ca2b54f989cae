// The "show route" filters that look at a route's verdict, shared by the RIB's
// cursor and the control layer. Its own module with no imports: flatroutec
// loads the command table, and must not load the RIB with it.
import type { RouteFilter, RouteView } from "./speaker-api";

/** Whether a route passes the best and multipath filters. */
export function passes(r: RouteView, filter: RouteFilter): boolean {
  return verdictPasses(r.best, r.multipath ?? false, filter);
}

/** passes, for a route's verdict alone. */
export function verdictPasses(best: boolean, multipath: boolean, filter: RouteFilter): boolean {
  if (filter.best && !best) return false;
  // A best route without the multipath flag is an ECMP set of one.
  if (filter.multipath && !(multipath || best)) return false;
  return true;
}
