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
import { ipv4Prefix } from "../../src/bgp/prefix";

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
  for (let i = 0; i < count; i++) out[i] = ipv4Prefix(FIRST_PREFIX + i * 256, 24);
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
