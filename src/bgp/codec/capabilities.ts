// Capabilities advertisement (RFC 5492) and the capabilities flatroute
// understands. Anything else is kept verbatim (so it can be shown and
// re-encoded) and otherwise ignored, as RFC 5492 section 5 asks.
import { type ByteReader, ByteWriter } from "./bytes";
import { BgpError, ErrorCode, OpenSubcode } from "./errors";
import { type Afi, type Capability, CapabilityCode, type Safi } from "./types";

const GR_RESTARTING = 0x8000;
const GR_NOTIFICATION = 0x4000;
const GR_TIME_MASK = 0x0fff;
const GR_FORWARDING = 0x80;

function malformed(code: number, why: string): BgpError {
  return new BgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, `malformed capability ${code}: ${why}`);
}

/** Decodes the capabilities inside one Capabilities optional parameter. */
export function decodeCapabilities(r: ByteReader, end: number, out: Capability[]): void {
  while (r.pos < end) {
    if (end - r.pos < 2) throw malformed(r.buf[r.pos]!, "truncated capability header");
    const code = r.u8();
    const len = r.u8();
    if (r.pos + len > end) throw malformed(code, "length runs past the parameter");
    out.push(decodeCapability(code, r.view(len)));
  }
}

function u16(v: Uint8Array, p: number): number {
  return (v[p]! << 8) | v[p + 1]!;
}

function decodeCapability(code: number, v: Uint8Array): Capability {
  const wantLength = (n: number) => {
    if (v.length !== n) throw malformed(code, `length ${v.length}, expected ${n}`);
  };
  switch (code) {
    case CapabilityCode.Multiprotocol:
      wantLength(4);
      return { code, family: { afi: u16(v, 0) as Afi, safi: v[3]! as Safi } };
    case CapabilityCode.RouteRefresh:
      wantLength(0);
      return { code };
    case CapabilityCode.EnhancedRouteRefresh:
      wantLength(0);
      return { code };
    case CapabilityCode.ExtendedMessage:
      wantLength(0);
      return { code };
    case CapabilityCode.FourOctetAs:
      wantLength(4);
      return { code, asn: ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0 };
    case CapabilityCode.ExtendedNextHop: {
      if (v.length % 6 !== 0) throw malformed(code, `length ${v.length} is not a multiple of 6`);
      const entries = [];
      for (let p = 0; p < v.length; p += 6) {
        entries.push({
          afi: u16(v, p) as Afi,
          safi: u16(v, p + 2) as Safi,
          nextHopAfi: u16(v, p + 4) as Afi,
        });
      }
      return { code, entries };
    }
    case CapabilityCode.GracefulRestart: {
      if (v.length < 2 || (v.length - 2) % 4 !== 0) throw malformed(code, `bad length ${v.length}`);
      const head = u16(v, 0);
      const families = [];
      for (let p = 2; p < v.length; p += 4) {
        families.push({
          afi: u16(v, p) as Afi,
          safi: v[p + 2]! as Safi,
          forwardingPreserved: (v[p + 3]! & GR_FORWARDING) !== 0,
        });
      }
      return {
        code,
        restarting: (head & GR_RESTARTING) !== 0,
        notification: (head & GR_NOTIFICATION) !== 0,
        restartTime: head & GR_TIME_MASK,
        families,
      };
    }
    default:
      return { code, unknown: true, value: v.slice() };
  }
}

/** One capability as code, length, value. */
export function encodeCapability(c: Capability): Uint8Array {
  const w = new ByteWriter(16);
  w.u8(c.code);
  const lenAt = w.skip(1);
  if ("unknown" in c) {
    w.bytes(c.value);
  } else {
    switch (c.code) {
      case CapabilityCode.Multiprotocol:
        w.u16(c.family.afi);
        w.u8(0);
        w.u8(c.family.safi);
        break;
      case CapabilityCode.RouteRefresh:
      case CapabilityCode.EnhancedRouteRefresh:
      case CapabilityCode.ExtendedMessage:
        break;
      case CapabilityCode.FourOctetAs:
        w.u32(c.asn);
        break;
      case CapabilityCode.ExtendedNextHop:
        for (const e of c.entries) {
          w.u16(e.afi);
          w.u16(e.safi);
          w.u16(e.nextHopAfi);
        }
        break;
      case CapabilityCode.GracefulRestart:
        w.u16(
          (c.restarting ? GR_RESTARTING : 0) |
            (c.notification ? GR_NOTIFICATION : 0) |
            (c.restartTime & GR_TIME_MASK),
        );
        for (const f of c.families) {
          w.u16(f.afi);
          w.u8(f.safi);
          w.u8(f.forwardingPreserved ? GR_FORWARDING : 0);
        }
        break;
    }
  }
  const len = w.pos - 2;
  if (len > 255) throw new RangeError(`capability ${c.code} value of ${len} bytes exceeds 255`);
  w.setU8(lenAt, len);
  return w.finish();
}

/** Convenience lookups for the negotiation code. */
export function findCapability<C extends CapabilityCode>(
  caps: readonly Capability[],
  code: C,
): Extract<Capability, { code: C }> | undefined {
  for (const c of caps)
    if (c.code === code && !("unknown" in c)) return c as Extract<Capability, { code: C }>;
  return undefined;
}
