// COMMUNITIES (RFC 1997) and LARGE_COMMUNITY (RFC 8092).
import { readU32 } from "../bytes";
import { ErrorAction, UpdateSubcode } from "../errors";
import { ATTR_FLAG_OPTIONAL, ATTR_FLAG_TRANSITIVE, AttrType, type LargeCommunity } from "../types";
import { type AttrDescriptor, MalformedAttribute } from "./descriptor";

const OPTIONAL_TRANSITIVE = ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE;

export const COMMUNITIES: AttrDescriptor = {
  code: AttrType.Communities,
  name: "COMMUNITIES",
  flags: OPTIONAL_TRANSITIVE,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.OptionalAttributeError,
  decode(v, s) {
    if (v.length === 0 || v.length % 4 !== 0)
      throw new MalformedAttribute(`COMMUNITIES of length ${v.length}`);
    const out = new Array<number>(v.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = readU32(v, i * 4);
    s.attrs.communities = out;
  },
  encode(a, _s, w) {
    if (!a.communities || a.communities.length === 0) return false;
    for (const c of a.communities) w.u32(c);
    return true;
  },
};

export const LARGE_COMMUNITY: AttrDescriptor = {
  code: AttrType.LargeCommunity,
  name: "LARGE_COMMUNITY",
  flags: OPTIONAL_TRANSITIVE,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.OptionalAttributeError,
  decode(v, s) {
    if (v.length === 0 || v.length % 12 !== 0) {
      throw new MalformedAttribute(`LARGE_COMMUNITY of length ${v.length}`);
    }
    const out: LargeCommunity[] = [];
    for (let p = 0; p < v.length; p += 12) {
      out.push({ globalAdmin: readU32(v, p), localData1: readU32(v, p + 4), localData2: readU32(v, p + 8) });
    }
    s.attrs.largeCommunities = out;
  },
  encode(a, _s, w) {
    if (!a.largeCommunities || a.largeCommunities.length === 0) return false;
    for (const c of a.largeCommunities) {
      w.u32(c.globalAdmin);
      w.u32(c.localData1);
      w.u32(c.localData2);
    }
    return true;
  },
};
