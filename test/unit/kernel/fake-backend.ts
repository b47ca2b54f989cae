// An in-memory kernel routing table with Linux's rules where they matter to
// the sync logic: a slot is (table, prefix, metric); CREATE|EXCL fails with
// EEXIST on an occupied slot; REPLACE overwrites whoever sits there; a delete
// naming a protocol only removes a route of that protocol (else ESRCH).
// Changes by the code under test and by "others" (the test) emit events
// asynchronously, as the kernel's multicast does.
import { formatPrefix, parsePrefix } from "../../../src/bgp/prefix";
import type {
  KernelEvent,
  KernelRoute,
  LinkState,
  OpResult,
  RouteBackend,
  RouteOp,
  RouteVisitor,
} from "../../../src/kernel/types";

const EEXIST = 17;
const ESRCH = 3;
const ENETUNREACH = 101;

function slot(r: KernelRoute): string {
  return `${r.table}|${formatPrefix(r.prefix)}|${r.metric}`;
}

function contains(r: KernelRoute, address: Uint8Array): boolean {
  if (r.prefix.address.length !== address.length) return false;
  for (let bit = 0; bit < r.prefix.length; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((r.prefix.address[bit >> 3]! & m) !== (address[bit >> 3]! & m)) return false;
  }
  return true;
}

function copyRoute(r: KernelRoute): KernelRoute {
  return {
    ...r,
    prefix: { ...r.prefix, address: Uint8Array.from(r.prefix.address) },
    nextHops: r.nextHops.map((h) => ({ ...h })),
  };
}

export class FakeBackend implements RouteBackend {
  readonly routes = new Map<string, KernelRoute>();
  readonly linkTable = new Map<number, LinkState>();
  readonly ops: RouteOp[] = [];
  /** Gateways (dotted text) the "kernel" refuses, as with an unreachable gateway. */
  readonly refuse = new Set<string>();
  private listeners = new Set<(e: KernelEvent) => void>();
  closed = false;

  constructor(links: LinkState[] = [{ index: 2, name: "eth0", up: true }]) {
    for (const l of links) this.linkTable.set(l.index, l);
  }

  private emit(e: KernelEvent): void {
    setImmediate(() => {
      for (const l of this.listeners) l(e);
    });
  }

  async apply(ops: RouteOp[]): Promise<OpResult[]> {
    // The caller reuses its operation objects once this resolves (RouteBackend.apply): keep copies.
    const copies = ops.map((op) => ({ kind: op.kind, route: copyRoute(op.route) }));
    this.ops.push(...copies);
    return copies.map((op) => this.applyOne(op));
  }

  private applyOne(op: RouteOp): OpResult {
    const key = slot(op.route);
    const existing = this.routes.get(key);
    if (op.kind === "remove") {
      if (!existing || existing.protocol !== op.route.protocol) return ESRCH;
      this.routes.delete(key);
      this.emit({ kind: "route", op: "del", route: existing });
      return 0;
    }
    if (op.kind === "create" && existing) return EEXIST;
    for (const h of op.route.nextHops)
      if (h.gateway && this.refuse.has(h.gateway.join("."))) return ENETUNREACH;
    this.routes.set(key, op.route);
    this.emit({ kind: "route", op: "new", route: op.route });
    return 0;
  }

  async dump(table: number, visitor: RouteVisitor): Promise<void> {
    for (const r of this.routes.values()) if (r.table === table) visitor.route(r);
  }

  async links(): Promise<LinkState[]> {
    return [...this.linkTable.values()];
  }

  async lookup(address: Uint8Array): Promise<KernelRoute | null> {
    let best: KernelRoute | null = null;
    for (const r of this.routes.values()) {
      if (!contains(r, address)) continue;
      if (
        !best ||
        r.prefix.length > best.prefix.length ||
        (r.prefix.length === best.prefix.length && r.metric < best.metric)
      )
        best = r;
    }
    return best;
  }

  subscribe(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  // ---- what "others" do -----------------------------------------------------

  /** `ip route add/replace` by someone else (replace semantics: takes the slot). */
  external(route: Partial<Omit<KernelRoute, "prefix">> & { prefix: string }): KernelRoute {
    const r: KernelRoute = {
      table: 254,
      protocol: 4, // static
      metric: 20,
      type: "unicast",
      nextHops: [],
      ...route,
      prefix: parsePrefix(route.prefix),
    };
    this.routes.set(slot(r), r);
    this.emit({ kind: "route", op: "new", route: r });
    return r;
  }

  /** `ip route del` by someone else. */
  externalDelete(prefix: string, metric = 20, table = 254): KernelRoute | undefined {
    const key = `${table}|${prefix}|${metric}`;
    const r = this.routes.get(key);
    if (!r) return undefined;
    this.routes.delete(key);
    this.emit({ kind: "route", op: "del", route: r });
    return r;
  }

  setLink(index: number, up: boolean): void {
    const l = this.linkTable.get(index)!;
    const next = { ...l, up };
    this.linkTable.set(index, next);
    this.emit({ kind: "link", op: "new", link: next });
  }

  /** Routes of one protocol as "prefix -> gateways" text, sorted: what a test asserts on. */
  show(protocol = 186): string[] {
    return [...this.routes.values()]
      .filter((r) => r.protocol === protocol)
      .map((r) => {
        const via = r.nextHops
          .map((h) => `${h.gateway ? h.gateway.join(".") : "direct"}@${h.ifindex}`)
          .join(",");
        return `${r.type === "unicast" ? "" : `${r.type} `}${formatPrefix(r.prefix)}${via ? ` via ${via}` : ""}`;
      })
      .sort();
  }
}
