import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Afi,
  BgpError,
  DEFAULT_CAPS,
  decodeMessage,
  encodeMessage,
  FOUR_OCTET_CAPS,
  MessageFramer,
  type SessionCaps,
} from "../../../../src/bgp/codec";
import { message, notification, open, routeRefresh, update } from "./arbitraries";
import { loadFixtures } from "./fixtures";
import { hex } from "./helpers";

const EXT_NH = [{ afi: Afi.IPv4, safi: 1, nextHopAfi: Afi.IPv6 }];
const SESSIONS: [string, SessionCaps][] = [
  ["2-octet", { ...DEFAULT_CAPS, extendedNextHop: EXT_NH }],
  ["4-octet", { ...FOUR_OCTET_CAPS, extendedNextHop: EXT_NH }],
];
const RUNS = { numRuns: 300 };

function roundTrips(caps: SessionCaps) {
  return (m: Parameters<typeof encodeMessage>[0]) => {
    const decoded = decodeMessage(encodeMessage(m, caps), caps);
    assert.deepEqual(decoded.problems, []);
    assert.deepEqual(decoded.message, m);
  };
}

function onlyBgpErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BgpError)) throw e;
  }
}

describe("codec properties", () => {
  for (const [name, caps] of SESSIONS) {
    describe(`${name} session`, () => {
      it("decode(encode(OPEN)) is the OPEN", () => {
        fc.assert(fc.property(open, roundTrips(caps)), RUNS);
      });

      it("decode(encode(UPDATE)) is the UPDATE", () => {
        fc.assert(fc.property(update(caps), roundTrips(caps)), RUNS);
      });

      it("decode(encode(NOTIFICATION)) and decode(encode(ROUTE-REFRESH)) are the message", () => {
        fc.assert(fc.property(fc.oneof(notification, routeRefresh), roundTrips(caps)), RUNS);
      });
    });
  }

  it("the framer returns the same messages however the stream is cut", () => {
    fc.assert(
      fc.property(
        fc.array(message(FOUR_OCTET_CAPS), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const frames = messages.map((m) => encodeMessage(m, FOUR_OCTET_CAPS));
          const stream = Buffer.concat(frames);
          const f = new MessageFramer();
          const got: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            f.push(stream.subarray(at, at + n));
            at += n;
            for (let fr = f.next(); fr; fr = f.next()) got.push(Buffer.from(fr));
          }
          assert.deepEqual(
            got,
            frames.map((fr) => Buffer.from(fr)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("codec robustness (fuzz-ish)", () => {
  const seeds = loadFixtures().map((f) => hex(f.hex));

  /** Whatever decodes must re-encode to something that decodes to the same message. */
  function stable(frame: Uint8Array, caps: SessionCaps): void {
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(frame, caps);
    } catch (e) {
      if (e instanceof BgpError) return;
      throw e;
    }
    let again: Uint8Array;
    try {
      again = encodeMessage(decoded.message, caps);
    } catch (e) {
      // Re-encoding may legitimately outgrow the limit (AS4_PATH added on a 2-octet session).
      if (e instanceof RangeError && /exceeds the maximum/.test(e.message)) return;
      throw e;
    }
    assert.deepEqual(decodeMessage(again, caps).message, decoded.message);
  }

  it("random bytes after a valid header only ever raise BgpError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 200 }), (type, body) => {
        const frame = new Uint8Array(19 + body.length);
        frame.fill(0xff, 0, 16);
        frame[16] = frame.length >> 8;
        frame[17] = frame.length & 0xff;
        frame[18] = type;
        frame.set(body, 19);
        for (const [, caps] of SESSIONS) stable(frame, caps);
      }),
      { numRuns: 2000 },
    );
  });

  it("captured messages with random bytes changed only ever raise BgpError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), u8()), { minLength: 1, maxLength: 4 }),
        (seed, edits) => {
          const frame = seed.slice();
          for (const [pos, value] of edits) {
            // Leave marker and length alone so the body parsers get exercised.
            if (frame.length > 19) frame[19 + (pos % (frame.length - 19))] = value;
          }
          for (const [, caps] of SESSIONS) stable(frame, caps);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("random streams through the framer only ever raise BgpError", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const f = new MessageFramer();
        onlyBgpErrors(() => {
          for (const c of chunks) {
            f.push(c);
            for (let fr = f.next(); fr; fr = f.next())
              onlyBgpErrors(() => decodeMessage(fr, FOUR_OCTET_CAPS));
          }
        });
      }),
      { numRuns: 500 },
    );
  });
});

function u8() {
  return fc.integer({ min: 0, max: 255 });
}
