// The kernel layer: flatroute's FIB over rtnetlink (see docs/architecture.md).
export { type FibLog, KernelFib, type KernelFibOptions, type KernelFibStats, prefixKey } from "./kernel-fib";
export { type NetlinkBackendOptions, NetlinkRouteBackend } from "./netlink/backend";
export { NextHopResolver } from "./resolver";
export type {
  KernelEvent,
  KernelNextHop,
  KernelRoute,
  LinkState,
  OpResult,
  RouteBackend,
  RouteOp,
} from "./types";

import type { KernelFibOptions } from "./kernel-fib";
import { KernelFib } from "./kernel-fib";
import { NetlinkRouteBackend } from "./netlink/backend";

/** A KernelFib over the Linux kernel of the calling process's network namespace. */
export function startLinuxFib(options: Omit<KernelFibOptions, "backend">): Promise<KernelFib> {
  const backend = NetlinkRouteBackend.open({ quietProtocol: options.protocol ?? 186 });
  return KernelFib.start({ ...options, backend }).catch((e) => {
    backend.close();
    throw e;
  });
}
