// The session's end of the ingestion fast path: UPDATEs of an Established
// connection go through the codec's walker straight to the visitor the
// speaker registered, as numbers, instead of becoming UpdateMessage objects.
// The same session-level checks apply as on the classic path (LOCAL_PREF,
// ORIGINATOR_ID and CLUSTER_LIST dropped from an external peer), memoized so
// the visitor still sees one object per distinct attribute set.
import type { PathAttributes, SessionCaps } from "../codec/types";
import { type UpdateVisitor, UpdateWalker } from "../codec/walk-update";
import { sessionAttributeChecks } from "./inbound";

export class UpdateFastPath {
  private walker: UpdateWalker | undefined;
  private readonly checked = new WeakMap<PathAttributes, PathAttributes>();
  private readonly target: UpdateVisitor;

  constructor(visitor: UpdateVisitor, external: boolean) {
    this.target = external
      ? {
          withdraw: visitor.withdraw.bind(visitor),
          begin: (attrs, raw) => visitor.begin(this.check(attrs), raw),
          announce: visitor.announce.bind(visitor),
          end: visitor.end.bind(visitor),
        }
      : visitor;
  }

  /** True when the frame was visited; false leaves it to the classic decode-and-emit path. */
  walk(frame: Uint8Array, caps: SessionCaps): boolean {
    // One walker (and attribute cache) per negotiated caps: a new connection starts afresh.
    if (this.walker?.caps !== caps) this.walker = new UpdateWalker(caps);
    return this.walker.walk(frame, this.target);
  }

  private check(attrs: PathAttributes): PathAttributes {
    let out = this.checked.get(attrs);
    if (out === undefined) {
      out = sessionAttributeChecks(attrs, true);
      this.checked.set(attrs, out);
    }
    return out;
  }
}
