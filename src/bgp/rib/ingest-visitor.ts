// The RIB's end of the ingestion fast path: the session walks IPv4 UPDATEs
// (codec/walk-update.ts) and calls this visitor per prefix with numbers, so an
// announcement costs one numeric key and one importPrefix, and each distinct
// attribute set becomes RouteAttrs once (the walker hands out one object per
// distinct attribute bytes, so the object itself is the cache key).
import { Afi, type PathAttributes } from "../codec/types";
import type { UpdateVisitor } from "../codec/walk-update";
import type { RouteAttrs } from "./attr-store";
import { type ImportBatch, importBase } from "./import";
import type { RibPeer } from "./peer";
import { ipv4Key } from "./prefix-key";
import type { Rib } from "./rib";

export class RibUpdateVisitor implements UpdateVisitor {
  private batch: ImportBatch | undefined;
  /** null: the set has no usable next hop (the UPDATE's routes are treated as withdrawn). */
  private readonly bases = new WeakMap<PathAttributes, RouteAttrs | null>();

  constructor(
    private readonly rib: Rib,
    private readonly peer: RibPeer,
    /** True while the peer is held down (max-prefix): what it still sends is ignored, as on the classic path. */
    private readonly ignoring: () => boolean,
  ) {}

  withdraw(address: number, length: number): void {
    if (this.ignoring()) return;
    this.rib.withdraw(this.peer, Afi.IPv4, ipv4Key(address, length));
  }

  begin(attrs: PathAttributes): void {
    if (this.ignoring()) return;
    let base = this.bases.get(attrs);
    if (base === undefined) {
      base = importBase(attrs, attrs.nextHop) ?? null;
      this.bases.set(attrs, base);
    }
    this.batch = this.rib.beginImport(this.peer, Afi.IPv4, base ?? undefined);
  }

  announce(address: number, length: number): void {
    if (this.batch !== undefined) this.rib.importPrefix(this.batch, ipv4Key(address, length));
  }

  end(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    this.rib.endImport(batch);
  }
}
