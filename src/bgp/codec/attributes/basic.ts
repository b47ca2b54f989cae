// The fixed-size and list attributes of RFC 4271 and RFC 4456:
// ORIGIN, NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE,
// ORIGINATOR_ID, CLUSTER_LIST.
import { formatIPv4, ipv4ToBytes } from "../address";
import { readU32 } from "../bytes";
import { ErrorAction, UpdateSubcode } from "../errors";
import { ATTR_FLAG_OPTIONAL, ATTR_FLAG_TRANSITIVE, AttrType, Origin } from "../types";
import { type AttrDescriptor, MalformedAttribute, wantLength } from "./descriptor";

const WELL_KNOWN = ATTR_FLAG_TRANSITIVE;
const OPTIONAL_NON_TRANSITIVE = ATTR_FLAG_OPTIONAL;

export const ORIGIN: AttrDescriptor = {
  code: AttrType.Origin,
  name: "ORIGIN",
  flags: WELL_KNOWN,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.InvalidOriginAttribute,
  decode(v, s) {
    wantLength(v, 1, "ORIGIN");
    if (v[0]! > Origin.Incomplete) throw new MalformedAttribute(`undefined ORIGIN value ${v[0]}`);
    s.attrs.origin = v[0]!;
  },
  encode(a, _s, w) {
    if (a.origin === undefined) return false;
    w.u8(a.origin);
    return true;
  },
};

/**
 * RFC 7606 sections 7.5, 7.9, 7.10: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST
 * mean nothing from an external peer (the session drops them anyway), so a
 * malformed one from there costs the attribute, not the routes.
 */
const DISCARD_FROM_EXTERNAL = { onMalformedExternal: ErrorAction.AttributeDiscard } as const;

/** An attribute whose value is one IPv4 address (NEXT_HOP, ORIGINATOR_ID). */
function ipv4Attribute(
  code: AttrType,
  name: string,
  flags: number,
  key: "nextHop" | "originatorId",
): AttrDescriptor {
  return {
    code,
    name,
    flags,
    ...(key === "originatorId" ? DISCARD_FROM_EXTERNAL : {}),
    onMalformed: ErrorAction.TreatAsWithdraw,
    subcode: UpdateSubcode.AttributeLengthError,
    decode(v, s) {
      wantLength(v, 4, name);
      s.attrs[key] = formatIPv4(v);
    },
    encode(a, _s, w) {
      const value = a[key];
      if (value === undefined) return false;
      w.bytes(ipv4ToBytes(value));
      return true;
    },
  };
}

export const NEXT_HOP = ipv4Attribute(AttrType.NextHop, "NEXT_HOP", WELL_KNOWN, "nextHop");

function u32Attribute(code: AttrType, name: string, flags: number, key: "med" | "localPref"): AttrDescriptor {
  return {
    code,
    name,
    flags,
    ...(key === "localPref" ? DISCARD_FROM_EXTERNAL : {}),
    onMalformed: ErrorAction.TreatAsWithdraw,
    subcode: UpdateSubcode.AttributeLengthError,
    decode(v, s) {
      wantLength(v, 4, name);
      s.attrs[key] = readU32(v, 0);
    },
    encode(a, _s, w) {
      const value = a[key];
      if (value === undefined) return false;
      w.u32(value);
      return true;
    },
  };
}

export const MULTI_EXIT_DISC = u32Attribute(
  AttrType.MultiExitDisc,
  "MULTI_EXIT_DISC",
  OPTIONAL_NON_TRANSITIVE,
  "med",
);
export const LOCAL_PREF = u32Attribute(AttrType.LocalPref, "LOCAL_PREF", WELL_KNOWN, "localPref");

export const ATOMIC_AGGREGATE: AttrDescriptor = {
  code: AttrType.AtomicAggregate,
  name: "ATOMIC_AGGREGATE",
  flags: WELL_KNOWN,
  onMalformed: ErrorAction.AttributeDiscard,
  subcode: UpdateSubcode.AttributeLengthError,
  decode(v, s) {
    wantLength(v, 0, "ATOMIC_AGGREGATE");
    s.attrs.atomicAggregate = true;
  },
  encode(a) {
    return a.atomicAggregate === true;
  },
};

export const ORIGINATOR_ID = ipv4Attribute(
  AttrType.OriginatorId,
  "ORIGINATOR_ID",
  OPTIONAL_NON_TRANSITIVE,
  "originatorId",
);

export const CLUSTER_LIST: AttrDescriptor = {
  code: AttrType.ClusterList,
  name: "CLUSTER_LIST",
  flags: OPTIONAL_NON_TRANSITIVE,
  ...DISCARD_FROM_EXTERNAL,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.AttributeLengthError,
  decode(v, s) {
    if (v.length === 0 || v.length % 4 !== 0) {
      throw new MalformedAttribute(`CLUSTER_LIST of length ${v.length}`);
    }
    const ids: string[] = [];
    for (let p = 0; p < v.length; p += 4) ids.push(formatIPv4(v, p));
    s.attrs.clusterList = ids;
  },
  encode(a, _s, w) {
    if (!a.clusterList || a.clusterList.length === 0) return false;
    for (const id of a.clusterList) w.bytes(ipv4ToBytes(id));
    return true;
  },
};
