// Routes as received from one peer, after import checks (RFC 4271 Adj-RIB-In).
// Keyed by the prefix in text form for now; the routing-engine work replaces
// this with numeric keys and interned attribute sets.
import type { Afi, PathAttributes, Prefix, UpdateMessage } from "./codec/types";
import { formatPrefix } from "./prefix";

export interface ReceivedRoute {
  prefix: Prefix;
  nextHop: string;
  attributes: PathAttributes;
  receivedAt: Date;
}

export interface UpdateOutcome {
  announced: number;
  withdrawn: number;
  /** Prefixes dropped by import checks (AS loop). */
  filtered: number;
}

export class AdjRibIn {
  private readonly routes = new Map<string, ReceivedRoute>();
  filteredCount = 0;

  constructor(private readonly localAsn: number) {}

  get size(): number {
    return this.routes.size;
  }

  entries(): IterableIterator<ReceivedRoute> {
    return this.routes.values();
  }

  clear(): void {
    this.routes.clear();
  }

  apply(update: UpdateMessage, now = new Date()): UpdateOutcome {
    const outcome: UpdateOutcome = { announced: 0, withdrawn: 0, filtered: 0 };
    const withdraw = (p: Prefix) => {
      if (this.routes.delete(formatPrefix(p))) outcome.withdrawn++;
    };
    for (const p of update.withdrawn) withdraw(p);
    for (const p of update.attributes.mpUnreach?.withdrawn ?? []) withdraw(p);

    const attrs = update.attributes;
    const looped = attrs.asPath?.some((seg) => seg.asns.includes(this.localAsn)) ?? false;
    const { mpReach, mpUnreach: _unreach, ...shared } = attrs;
    const announce = (p: Prefix, nextHop: string | undefined) => {
      const key = formatPrefix(p);
      if (looped || nextHop === undefined) {
        // RFC 4271 9.1.2: a route whose AS_PATH holds our own AS is not usable;
        // an announcement replaces the previous one, so the old route goes too.
        this.routes.delete(key);
        outcome.filtered++;
        this.filteredCount++;
        return;
      }
      this.routes.set(key, { prefix: p, nextHop, attributes: shared, receivedAt: now });
      outcome.announced++;
    };
    for (const p of update.nlri) announce(p, attrs.nextHop);
    if (mpReach) for (const p of mpReach.nlri) announce(p, mpReach.nextHop);
    return outcome;
  }

  countByFamily(afi: Afi): number {
    let n = 0;
    for (const r of this.routes.values()) if (r.prefix.afi === afi) n++;
    return n;
  }
}
