// The kernel layer's model, independent of netlink: what a route in the OS
// table looks like and what a backend must offer the sync module (BIRD's
// krt.c / krt-sys split). The Linux backend speaks rtnetlink; unit tests use
// an in-memory one.
import type { Prefix } from "../bgp/codec/types";

export type RouteType = "unicast" | "blackhole" | "unreachable" | "local" | "other";

export interface KernelNextHop {
  /** Absent for a device route (directly connected subnet). */
  gateway?: Uint8Array;
  /** Output interface; 0 lets the kernel pick it from the gateway. */
  ifindex: number;
  /** RTNH_F_* flags as the kernel reported them (dead, linkdown, onlink). */
  flags?: number;
}

export interface KernelRoute {
  prefix: Prefix;
  table: number;
  protocol: number;
  metric: number;
  type: RouteType;
  /** Empty for blackhole/unreachable; one entry, or several for ECMP. */
  nextHops: KernelNextHop[];
}

export type RouteOpKind =
  /** Create only if nothing sits at (table, prefix, metric): NLM_F_CREATE|NLM_F_EXCL. */
  | "create"
  /** Overwrite what sits there atomically: NLM_F_CREATE|NLM_F_REPLACE (used only over our own route). */
  | "replace"
  | "remove";

export interface RouteOp {
  kind: RouteOpKind;
  route: KernelRoute;
}

/** 0 on success, else a positive errno. */
export type OpResult = number;

export interface LinkState {
  index: number;
  name: string;
  /** Administratively up and carrier present. */
  up: boolean;
}

export type KernelEvent =
  | { kind: "route"; op: "new" | "del"; route: KernelRoute }
  | { kind: "link"; op: "new" | "del"; link: LinkState }
  /** The event socket lost messages: the caller's view may be stale, rescan. */
  | { kind: "overrun" };

/** Receives a table dump route by route. */
export interface RouteVisitor {
  route(route: KernelRoute): void;
  /** The table changed during the dump, which starts over: forget the routes seen so far. */
  restart(): void;
}

export interface RouteBackend {
  /**
   * Applies a batch; results are in the same order. One failure never stops
   * the rest. The caller may reuse the operation objects once this resolves:
   * keep none of them (copy what must be kept).
   */
  apply(ops: RouteOp[]): Promise<OpResult[]>;
  /** Every route of one table (all protocols), both families, handed to `visitor` as they are read. */
  dump(table: number, visitor: RouteVisitor): Promise<void>;
  links(): Promise<LinkState[]>;
  /** The route the kernel would use for `address` (fib match), or null when there is none. */
  lookup(address: Uint8Array): Promise<KernelRoute | null>;
  /** Route and link events of the whole namespace; returns an unsubscribe function. */
  subscribe(listener: (event: KernelEvent) => void): () => void;
  close(): void;
}
