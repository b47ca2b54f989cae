// fast-check generators of well-formed messages, in the canonical shape the
// decoder produces (so decode(encode(x)) can be compared with x directly).
import fc from "fast-check";
import {
  Afi,
  type AsPathSegment,
  AsPathSegmentType,
  type Capability,
  CapabilityCode,
  formatIPv4,
  formatIPv6,
  type Message,
  MessageType,
  type OpenMessage,
  type PathAttributes,
  type Prefix,
  type SessionCaps,
  type UnknownAttribute,
  type UpdateMessage,
} from "../../../../src/bgp/codec";

// fast-check builds null-prototype records by default; the decoder builds plain objects.
const record: typeof fc.record = ((model: never, constraints?: object) =>
  fc.record(model, { noNullPrototype: true, ...constraints })) as typeof fc.record;

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

const ipv4Text = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIPv4(b));
const ipv6Text = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b));

function prefixOf(afi: Afi): fc.Arbitrary<Prefix> {
  const size = afi === Afi.IPv4 ? 4 : 16;
  return fc
    .tuple(fc.integer({ min: 0, max: size * 8 }), fc.uint8Array({ minLength: size, maxLength: size }))
    .map(([length, raw]) => {
      const address = new Uint8Array(size);
      const full = length >> 3;
      address.set(raw.subarray(0, full));
      if (length & 7) address[full] = raw[full]! & (0xff << (8 - (length & 7)));
      return { afi, length, address };
    });
}

export const prefix4 = prefixOf(Afi.IPv4);
export const prefix6 = prefixOf(Afi.IPv6);

function asPath(caps: SessionCaps): fc.Arbitrary<AsPathSegment[]> {
  const asn = fc.oneof(u16, u32);
  const segment = (types: AsPathSegmentType[], a: fc.Arbitrary<number>) =>
    record({ type: fc.constantFrom(...types), asns: fc.array(a, { minLength: 1, maxLength: 8 }) });
  // Confederation segments lead the path; on a 2-octet session their ASNs
  // fit 16 bits (AS4_PATH cannot carry them).
  const confed = segment(
    [AsPathSegmentType.ConfedSequence, AsPathSegmentType.ConfedSet],
    caps.fourOctetAs ? asn : u16,
  );
  const plain = segment([AsPathSegmentType.AsSequence, AsPathSegmentType.AsSet], asn);
  return fc
    .tuple(fc.array(confed, { maxLength: 2 }), fc.array(plain, { maxLength: 4 }))
    .map(([c, p]) => [...c, ...p]);
}

const KNOWN_ATTRS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 17, 18, 32]);

const unknownAttrs: fc.Arbitrary<UnknownAttribute[]> = fc
  .uniqueArray(
    fc.integer({ min: 11, max: 255 }).filter((c) => !KNOWN_ATTRS.has(c)),
    { minLength: 1, maxLength: 2 },
  )
  .chain((codes) =>
    fc.tuple(
      ...codes
        .sort((a, b) => a - b)
        .map((typeCode) => bytes(300).map((value) => ({ flags: 0xe0, typeCode, value }))),
    ),
  );

function mpReach(caps: SessionCaps) {
  const v6 = record(
    {
      afi: fc.constant(Afi.IPv6),
      safi: fc.constant(1),
      nextHop: ipv6Text,
      linkLocalNextHop: ipv6Text,
      nlri: fc.array(prefix6, { maxLength: 20 }),
    },
    { requiredKeys: ["afi", "safi", "nextHop", "nlri"] },
  );
  const v4nh = caps.extendedNextHop?.length ? fc.oneof(ipv4Text, ipv6Text) : ipv4Text;
  const v4 = record({
    afi: fc.constant(Afi.IPv4),
    safi: fc.constant(1),
    nextHop: v4nh,
    nlri: fc.array(prefix4, { maxLength: 20 }),
  });
  return fc.oneof(v6, v4);
}

const mpUnreach = fc.oneof(
  record({
    afi: fc.constant(Afi.IPv6),
    safi: fc.constant(1),
    withdrawn: fc.array(prefix6, { maxLength: 20 }),
  }),
  record({
    afi: fc.constant(Afi.IPv4),
    safi: fc.constant(1),
    withdrawn: fc.array(prefix4, { maxLength: 20 }),
  }),
);

function attributes(caps: SessionCaps): fc.Arbitrary<PathAttributes> {
  return record(
    {
      origin: fc.integer({ min: 0, max: 2 }),
      asPath: asPath(caps),
      nextHop: ipv4Text,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: record({ asn: fc.oneof(u16, u32), address: ipv4Text }),
      communities: fc.array(u32, { minLength: 1, maxLength: 6 }),
      largeCommunities: fc.array(record({ globalAdmin: u32, localData1: u32, localData2: u32 }), {
        minLength: 1,
        maxLength: 4,
      }),
      originatorId: ipv4Text,
      clusterList: fc.array(ipv4Text, { minLength: 1, maxLength: 4 }),
      mpReach: mpReach(caps),
      mpUnreach,
      unknown: unknownAttrs,
    },
    // ORIGIN, AS_PATH and NEXT_HOP are always there so NLRI is never missing
    // a mandatory attribute (that case is a malformed-input test instead).
    { requiredKeys: ["origin", "asPath", "nextHop"] },
  );
}

export function update(caps: SessionCaps): fc.Arbitrary<UpdateMessage> {
  const announce = record({
    type: fc.constant(MessageType.Update as const),
    withdrawn: fc.array(prefix4, { maxLength: 20 }),
    attributes: attributes(caps),
    nlri: fc.array(prefix4, { maxLength: 20 }),
  });
  const withdrawOnly = record({
    type: fc.constant(MessageType.Update as const),
    withdrawn: fc.array(prefix4, { maxLength: 40 }),
    attributes: record({ mpUnreach }, { requiredKeys: [] }),
    nlri: fc.constant<Prefix[]>([]),
  });
  return fc.oneof(announce, withdrawOnly);
}

const capability: fc.Arbitrary<Capability> = fc.oneof(
  record({
    code: fc.constant(CapabilityCode.Multiprotocol as const),
    family: record({ afi: u16, safi: u8 }),
  }),
  fc.constant({ code: CapabilityCode.RouteRefresh as const }),
  fc.constant({ code: CapabilityCode.EnhancedRouteRefresh as const }),
  fc.constant({ code: CapabilityCode.ExtendedMessage as const }),
  record({
    code: fc.constant(CapabilityCode.ExtendedNextHop as const),
    entries: fc.array(record({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 5 }),
  }),
  record({
    code: fc.constant(CapabilityCode.GracefulRestart as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(record({ afi: u16, safi: u8, forwardingPreserved: fc.boolean() }), { maxLength: 4 }),
  }),
  record({
    code: u8.filter((c) => ![1, 2, 5, 6, 64, 65, 70].includes(c)),
    unknown: fc.constant(true as const),
    value: bytes(40),
  }),
);

export const open: fc.Arbitrary<OpenMessage> = fc
  .record({
    version: u8,
    asn: fc.oneof(u16, u32),
    withFourOctet: fc.boolean(),
    holdTime: u16,
    routerId: ipv4Text,
    capabilities: fc.array(capability, { maxLength: 12 }),
    at: fc.nat(),
  })
  .map(({ asn, withFourOctet, capabilities, at, ...rest }) => {
    const caps = [...capabilities];
    // A 4-octet ASN only exists with the capability; then both agree.
    if (withFourOctet || asn > 0xffff) {
      caps.splice(at % (caps.length + 1), 0, { code: CapabilityCode.FourOctetAs, asn });
    }
    return { type: MessageType.Open as const, asn, capabilities: caps, ...rest };
  });

export const notification = record({
  type: fc.constant(MessageType.Notification as const),
  code: u8,
  subcode: u8,
  data: bytes(64),
});

export const routeRefresh = record({
  type: fc.constant(MessageType.RouteRefresh as const),
  afi: u16,
  safi: u8,
  subtype: u8,
});

export function message(caps: SessionCaps): fc.Arbitrary<Message> {
  return fc.oneof(
    open,
    update(caps),
    notification,
    routeRefresh,
    fc.constant({ type: MessageType.Keepalive as const }),
  );
}
