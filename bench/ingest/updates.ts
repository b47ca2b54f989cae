// The sender's payload, built before the session exists so that sending is a
// single socket write: N IPv4 /24 prefixes packed densely into 4096-byte
// UPDATEs (no Extended Message, so every receiver accepts them), one shared
// attribute set, then End-of-RIB.
import { encodeAnnouncements, encodeMessage, endOfRib } from "../../src/bgp/codec";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  Origin,
  type PathAttributes,
  type Prefix,
  Safi,
} from "../../src/bgp/codec/types";

/** First prefix: 20.0.0.0/24; 1,000,000 /24s end below 36.0.0.0, clear of the lab's 10.77.0.0/24. */
export const FIRST_PREFIX = 20 << 24;

export interface Payload {
  /** Every UPDATE, back to back. */
  updates: Buffer;
  messages: number;
  endOfRib: Uint8Array;
}

export function ingestPrefixes(count: number): Prefix[] {
  const out: Prefix[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const a = (FIRST_PREFIX + i * 256) >>> 0;
    out[i] = {
      afi: Afi.IPv4,
      length: 24,
      address: Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, 0),
    };
  }
  return out;
}

export function buildPayload(count: number, senderAsn: number, nextHop: string): Payload {
  const attrs: PathAttributes = {
    origin: Origin.Igp,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [senderAsn] }],
    nextHop,
  };
  const family = { afi: Afi.IPv4, safi: Safi.Unicast };
  const frames = encodeAnnouncements(family, ingestPrefixes(count), attrs, FOUR_OCTET_CAPS);
  return {
    updates: Buffer.concat(frames),
    messages: frames.length,
    endOfRib: encodeMessage(endOfRib(family), FOUR_OCTET_CAPS),
  };
}
