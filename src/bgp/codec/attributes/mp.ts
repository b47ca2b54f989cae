// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760) for IPv4 and IPv6 unicast,
// with RFC 2545 link-local next hops and RFC 8950 IPv4 NLRI over an IPv6
// next hop. Errors that hide where the NLRI is are session-fatal (RFC 7606
// sections 5.3 and 7.11).
import { formatIPv4, formatIPv6, ipv4ToBytes, ipv6ToBytes } from "../address";
import { readU16 } from "../bytes";
import { BgpError, ErrorAction, ErrorCode, UpdateSubcode } from "../errors";
import { decodePrefixes, encodePrefixes } from "../nlri";
import { Afi, ATTR_FLAG_OPTIONAL, AttrType, type Prefix, Safi } from "../types";
import { type AttrDescriptor, MalformedAttribute } from "./descriptor";

function fatal(subcode: UpdateSubcode, reason: string, action = ErrorAction.SessionReset): BgpError {
  return new BgpError(ErrorCode.UpdateMessage, subcode, reason, new Uint8Array(0), action);
}

function checkFamily(afi: number, safi: number, name: string): Afi {
  if ((afi !== Afi.IPv4 && afi !== Afi.IPv6) || safi !== Safi.Unicast) {
    // We only advertise IPv4/IPv6 unicast, so this is a peer bug: RFC 7606
    // would allow disabling the family, we have no other family to keep.
    throw fatal(
      UpdateSubcode.OptionalAttributeError,
      `${name} for unsupported AFI ${afi} SAFI ${safi}`,
      ErrorAction.AfiSafiDisable,
    );
  }
  return afi;
}

export const MP_REACH_NLRI: AttrDescriptor = {
  code: AttrType.MpReachNlri,
  name: "MP_REACH_NLRI",
  flags: ATTR_FLAG_OPTIONAL,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.OptionalAttributeError,
  decode(v, s) {
    if (v.length < 5) throw fatal(UpdateSubcode.OptionalAttributeError, "MP_REACH_NLRI too short");
    const afi = checkFamily(readU16(v, 0), v[2]!, "MP_REACH_NLRI");
    const safi = v[2]! as Safi;
    const nhLength = v[3]!;
    const nlriStart = 4 + nhLength + 1; // one reserved octet after the next hop
    if (nlriStart > v.length)
      throw fatal(UpdateSubcode.OptionalAttributeError, "MP_REACH_NLRI next hop overruns");
    let nextHop: string;
    let linkLocal: string | undefined;
    let ipv6NextHop = false;
    if (nhLength === 4) {
      // RFC 7606 section 7.11 (RFC 2545 section 3): a next hop length that does
      // not fit the AFI is malformed, and since it decides where the NLRI starts
      // the attribute cannot be trusted: AFI/SAFI disable or session reset.
      if (afi === Afi.IPv6) {
        throw fatal(
          UpdateSubcode.OptionalAttributeError,
          "MP_REACH_NLRI: IPv6 NLRI with a 4-byte next hop",
          ErrorAction.AfiSafiDisable,
        );
      }
      nextHop = formatIPv4(v, 4);
    } else if (nhLength === 16 || nhLength === 32) {
      nextHop = formatIPv6(v, 4);
      if (nhLength === 32) linkLocal = formatIPv6(v, 20);
      ipv6NextHop = true;
    } else {
      throw fatal(UpdateSubcode.OptionalAttributeError, `MP_REACH_NLRI next hop length ${nhLength}`);
    }
    const nlri: Prefix[] = [];
    decodePrefixes(v, nlriStart, v.length, afi, nlri, UpdateSubcode.OptionalAttributeError, "MP_REACH_NLRI");
    s.attrs.mpReach = { afi, safi, nextHop, nlri };
    if (linkLocal !== undefined) s.attrs.mpReach.linkLocalNextHop = linkLocal;
    if (afi === Afi.IPv4 && ipv6NextHop) {
      const allowed = s.caps.extendedNextHop?.some(
        (e) => e.afi === afi && e.safi === safi && e.nextHopAfi === Afi.IPv6,
      );
      if (!allowed) throw new MalformedAttribute("MP_REACH_NLRI: IPv6 next hop without RFC 8950 negotiation");
    }
  },
  encode(a, _s, w) {
    const r = a.mpReach;
    if (!r) return false;
    w.u16(r.afi);
    w.u8(r.safi);
    if (r.nextHop.includes(":")) {
      w.u8(r.linkLocalNextHop === undefined ? 16 : 32);
      w.bytes(ipv6ToBytes(r.nextHop));
      if (r.linkLocalNextHop !== undefined) w.bytes(ipv6ToBytes(r.linkLocalNextHop));
    } else {
      if (r.linkLocalNextHop !== undefined)
        throw new RangeError("link-local next hop beside an IPv4 next hop");
      w.u8(4);
      w.bytes(ipv4ToBytes(r.nextHop));
    }
    w.u8(0);
    encodePrefixes(w, r.nlri, r.afi, "MP_REACH_NLRI");
    return true;
  },
};

export const MP_UNREACH_NLRI: AttrDescriptor = {
  code: AttrType.MpUnreachNlri,
  name: "MP_UNREACH_NLRI",
  flags: ATTR_FLAG_OPTIONAL,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.OptionalAttributeError,
  decode(v, s) {
    if (v.length < 3) throw fatal(UpdateSubcode.OptionalAttributeError, "MP_UNREACH_NLRI too short");
    const afi = checkFamily(readU16(v, 0), v[2]!, "MP_UNREACH_NLRI");
    const withdrawn: Prefix[] = [];
    decodePrefixes(v, 3, v.length, afi, withdrawn, UpdateSubcode.OptionalAttributeError, "MP_UNREACH_NLRI");
    s.attrs.mpUnreach = { afi, safi: v[2]! as Safi, withdrawn };
  },
  encode(a, _s, w) {
    const u = a.mpUnreach;
    if (!u) return false;
    w.u16(u.afi);
    w.u8(u.safi);
    encodePrefixes(w, u.withdrawn, u.afi, "MP_UNREACH_NLRI");
    return true;
  },
};
