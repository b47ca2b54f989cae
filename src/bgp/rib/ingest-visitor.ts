// The RIB's end of the ingestion fast path: the session walks IPv4 UPDATEs
// (codec/walk-update.ts) and calls this visitor per prefix with numbers, so an
// announcement costs one numeric key and one importPrefix, and each distinct
// attribute set becomes RouteAttrs once (the walker hands out one object per
// distinct attribute bytes, so the object itself is the cache key).
import { Afi, type PathAttributes } from "../codec/types";
import type { UpdateVisitor } from "../codec/walk-update";
import type { RouteAttrs } from "./attr-store";
import { type ImportBatch, importBase } from "./import";
import type { ImportHold } from "./import-hold";
import type { RibPeer } from "./peer";
import { ipv4Key } from "./prefix-key";
import type { Rib } from "./rib";

export class RibUpdateVisitor implements UpdateVisitor {
  private batch: ImportBatch | undefined;
  /**
   * The UPDATE's announced prefixes, collected as numbers and imported as
   * one run at its end (Rib.importIpv4Run): what is the same for all of them
   * is then worked out once. Withdrawals precede announcements on the wire,
   * so deferring the announcements to the end keeps the UPDATE's order.
   */
  private addresses = new Int32Array(1024);
  private lengths = new Uint8Array(1024);
  private runLength = 0;
  /** null: the set has no usable next hop (the UPDATE's routes are treated as withdrawn). */
  private readonly bases = new WeakMap<PathAttributes, RouteAttrs | null>();

  constructor(
    private readonly rib: Rib,
    private readonly peer: RibPeer,
    /** While active (max-prefix, a fault), what the peer still sends is ignored, as on the classic path. */
    private readonly hold: ImportHold,
    /**
     * An unexpected exception while importing: the UPDATE is abandoned here
     * (the batch's references released) and the owner resets the peer, whose
     * routes then all leave through the normal withdrawal path. Without it the
     * exception propagates.
     */
    private readonly onFault?: (err: unknown) => void,
  ) {}

  withdraw(address: number, length: number): void {
    if (this.hold.active) return;
    try {
      this.rib.withdraw(this.peer, Afi.IPv4, ipv4Key(address, length));
    } catch (e) {
      this.fault(e);
    }
  }

  begin(attrs: PathAttributes): void {
    if (this.hold.active) return;
    // A batch left open means the walk of the previous UPDATE broke off: let it go.
    this.abandon();
    try {
      let base = this.bases.get(attrs);
      if (base === undefined) {
        base = importBase(attrs, attrs.nextHop) ?? null;
        this.bases.set(attrs, base);
      }
      this.runLength = 0;
      this.batch = this.rib.beginImport(this.peer, Afi.IPv4, base ?? undefined);
    } catch (e) {
      this.fault(e);
    }
  }

  announce(address: number, length: number): void {
    if (this.batch === undefined) return;
    const n = this.runLength;
    if (n === this.addresses.length) this.growRun();
    this.addresses[n] = address;
    this.lengths[n] = length;
    this.runLength = n + 1;
  }

  end(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const n = this.runLength;
    this.runLength = 0;
    try {
      if (n > 0) this.rib.importIpv4Run(batch, this.addresses, this.lengths, n);
    } catch (e) {
      batch.release();
      this.fault(e);
      return;
    }
    this.rib.endImport(batch);
  }

  /** Drops an UPDATE's unfinished import, releasing what its batch holds. */
  abandon(): void {
    const batch = this.batch;
    this.batch = undefined;
    this.runLength = 0;
    batch?.release();
  }

  private fault(e: unknown): void {
    this.abandon();
    if (!this.onFault) throw e;
    this.onFault(e);
  }

  private growRun(): void {
    const addresses = new Int32Array(this.addresses.length * 2);
    const lengths = new Uint8Array(this.lengths.length * 2);
    addresses.set(this.addresses);
    lengths.set(this.lengths);
    this.addresses = addresses;
    this.lengths = lengths;
  }
}
