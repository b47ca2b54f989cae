// Packs many prefixes sharing one attribute set into as few UPDATEs as the
// maximum message size allows (BIRD's bgp_bucket idea): IPv4 unicast in the
// classic fields, anything else inside MP_REACH_NLRI / MP_UNREACH_NLRI.
import { encodeMessage, maxMessageLength } from "./message";
import { prefixWireSize } from "./nlri";
import {
  Afi,
  type Family,
  MessageType,
  type PathAttributes,
  type Prefix,
  Safi,
  type SessionCaps,
  type UpdateMessage,
} from "./types";

function isClassic(family: Family): boolean {
  return family.afi === Afi.IPv4 && family.safi === Safi.Unicast;
}

/**
 * Splits `prefixes` into runs that fit `budget` bytes each. `slackAt` adds
 * one byte of cost once a run's NLRI passes it: that is where the MP
 * attribute switches to a 2-byte length.
 */
function chunk(prefixes: readonly Prefix[], budget: number, slackAt: number): Prefix[][] {
  const cost = (nlriBytes: number) => nlriBytes + (nlriBytes > slackAt ? 1 : 0);
  const out: Prefix[][] = [];
  let run: Prefix[] = [];
  let used = 0;
  for (const p of prefixes) {
    const size = prefixWireSize(p);
    if (run.length > 0 && cost(used + size) > budget) {
      out.push(run);
      run = [];
      used = 0;
    }
    if (cost(used + size) > budget) throw new RangeError("attributes leave no room for a single prefix");
    used += size;
    run.push(p);
  }
  if (run.length > 0) out.push(run);
  return out;
}

/**
 * UPDATEs announcing `prefixes` with `attrs`. For a non-classic family,
 * `attrs.mpReach` gives the next hop (its `nlri` is ignored).
 */
export function encodeAnnouncements(
  family: Family,
  prefixes: readonly Prefix[],
  attrs: PathAttributes,
  caps: SessionCaps,
): Uint8Array[] {
  if (prefixes.length === 0) return [];
  const max = maxMessageLength(caps);
  // IPv4 unicast goes in the classic NLRI field, except with an IPv6 next hop (RFC 8950), which only MP_REACH_NLRI carries.
  if (isClassic(family) && !(attrs.nextHop === undefined && attrs.mpReach)) {
    const { mpReach: _r, mpUnreach: _u, ...rest } = attrs;
    const empty: UpdateMessage = { type: MessageType.Update, withdrawn: [], attributes: rest, nlri: [] };
    const overhead = encodeMessage(empty, caps).length;
    return chunk(prefixes, max - overhead, Number.POSITIVE_INFINITY).map((nlri) =>
      encodeMessage({ ...empty, nlri }, caps),
    );
  }
  if (!attrs.mpReach)
    throw new RangeError("announcements outside IPv4 unicast need attrs.mpReach for the next hop");
  const { mpUnreach: _u, ...rest } = attrs;
  const template = { ...attrs.mpReach, afi: family.afi, safi: family.safi };
  const empty: UpdateMessage = {
    type: MessageType.Update,
    withdrawn: [],
    attributes: { ...rest, mpReach: { ...template, nlri: [] } },
    nlri: [],
  };
  const overhead = encodeMessage(empty, caps).length;
  const mpBase = 5 + (template.nextHop.includes(":") ? (template.linkLocalNextHop ? 32 : 16) : 4);
  return chunk(prefixes, max - overhead, 255 - mpBase).map((nlri) =>
    encodeMessage({ ...empty, attributes: { ...rest, mpReach: { ...template, nlri } } }, caps),
  );
}

/** UPDATEs withdrawing `prefixes`. */
export function encodeWithdrawals(
  family: Family,
  prefixes: readonly Prefix[],
  caps: SessionCaps,
): Uint8Array[] {
  if (prefixes.length === 0) return [];
  const max = maxMessageLength(caps);
  const base: UpdateMessage = { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] };
  if (isClassic(family)) {
    const overhead = encodeMessage(base, caps).length;
    return chunk(prefixes, max - overhead, Number.POSITIVE_INFINITY).map((withdrawn) =>
      encodeMessage({ ...base, withdrawn }, caps),
    );
  }
  const empty: UpdateMessage = {
    ...base,
    attributes: { mpUnreach: { afi: family.afi, safi: family.safi, withdrawn: [] } },
  };
  const overhead = encodeMessage(empty, caps).length;
  return chunk(prefixes, max - overhead, 255 - 3).map((withdrawn) =>
    encodeMessage(
      { ...base, attributes: { mpUnreach: { afi: family.afi, safi: family.safi, withdrawn } } },
      caps,
    ),
  );
}
