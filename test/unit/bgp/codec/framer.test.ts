import assert from "node:assert/strict";
import {
  BgpError,
  DEFAULT_CAPS,
  decodeMessage,
  ErrorCode,
  encodeMessage,
  HeaderSubcode,
  KEEPALIVE_FRAME,
  MAX_EXTENDED_MESSAGE_LENGTH,
  type Message,
  MessageFramer,
  MessageType,
} from "../../../../src/bgp/codec";
import { frame, hex, toHex } from "./helpers";

function sampleStream(): { messages: Message[]; bytes: Uint8Array } {
  const messages: Message[] = [
    {
      type: MessageType.Open,
      version: 4,
      asn: 65001,
      holdTime: 90,
      routerId: "10.0.0.1",
      capabilities: [{ code: 2 }],
    },
    { type: MessageType.Keepalive },
    { type: MessageType.Notification, code: 6, subcode: 2, data: hex("03616263") },
    { type: MessageType.RouteRefresh, afi: 1, safi: 1, subtype: 0 },
    { type: MessageType.Keepalive },
  ];
  const parts = messages.map((m) => encodeMessage(m, DEFAULT_CAPS));
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { messages, bytes };
}

function drain(f: MessageFramer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let m = f.next(); m; m = f.next()) out.push(m);
  return out;
}

function expectHeaderError(fn: () => unknown, subcode: HeaderSubcode, dataHex: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BgpError);
    assert.equal(e.code, ErrorCode.MessageHeader);
    assert.equal(e.subcode, subcode);
    assert.equal(toHex(e.data), dataHex);
    return true;
  });
}

describe("MessageFramer", () => {
  it("returns every message when the stream arrives one byte at a time", () => {
    const { messages, bytes } = sampleStream();
    const f = new MessageFramer();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) {
      f.push(bytes.subarray(i, i + 1));
      frames.push(...drain(f));
    }
    assert.equal(frames.length, messages.length);
    assert.deepEqual(
      frames.map((fr) => decodeMessage(fr, DEFAULT_CAPS).message),
      messages,
    );
    assert.equal(f.buffered, 0);
  });

  it("returns many messages pushed in one chunk, and keeps earlier frames intact", () => {
    const { messages, bytes } = sampleStream();
    const f = new MessageFramer();
    const many = new Uint8Array(bytes.length * 50);
    for (let i = 0; i < 50; i++) many.set(bytes, i * bytes.length);
    f.push(many.subarray(0, many.length - 7));
    const first = drain(f);
    f.push(many.subarray(many.length - 7));
    const frames = [...first, ...drain(f)];
    assert.equal(frames.length, messages.length * 50);
    // Views handed out before the last push must not have been overwritten.
    for (let i = 0; i < frames.length; i++) {
      assert.deepEqual(decodeMessage(frames[i]!, DEFAULT_CAPS).message, messages[i % messages.length]);
    }
  });

  it("waits for a partial header and a partial body", () => {
    const f = new MessageFramer();
    f.push(KEEPALIVE_FRAME.subarray(0, 18));
    assert.equal(f.next(), null);
    f.push(KEEPALIVE_FRAME.subarray(18));
    assert.equal(toHex(f.next()!), toHex(KEEPALIVE_FRAME));
    const n = frame(MessageType.Notification, "0602");
    f.push(n.subarray(0, 20));
    assert.equal(f.next(), null);
    f.push(n.subarray(20));
    assert.equal(f.next()!.length, 21);
  });

  it("rejects a length below 19 or above the maximum with the length field as data", () => {
    const short = hex(`${"ff".repeat(16)}001204`);
    expectHeaderError(
      () => {
        const f = new MessageFramer();
        f.push(short);
        f.next();
      },
      HeaderSubcode.BadMessageLength,
      "0012",
    );
    const long = hex(`${"ff".repeat(16)}100102`);
    expectHeaderError(
      () => {
        const f = new MessageFramer();
        f.push(long);
        f.next();
      },
      HeaderSubcode.BadMessageLength,
      "1001",
    );
  });

  it("accepts long UPDATEs once the maximum is raised for Extended Message", () => {
    const f = new MessageFramer();
    f.setMaxLength(MAX_EXTENDED_MESSAGE_LENGTH);
    const big = new Uint8Array(5000);
    big.fill(0xff, 0, 16);
    big[16] = 5000 >> 8;
    big[17] = 5000 & 0xff;
    big[18] = MessageType.Update;
    f.push(big);
    assert.equal(f.next()!.length, 5000);
  });

  it("rejects a KEEPALIVE that is not exactly 19 bytes and per-type minimum lengths", () => {
    const f = new MessageFramer();
    f.push(hex(`${"ff".repeat(16)}001404 00`));
    expectHeaderError(() => f.next(), HeaderSubcode.BadMessageLength, "0014");
    const g = new MessageFramer();
    g.push(hex(`${"ff".repeat(16)}001601 000000`));
    expectHeaderError(() => g.next(), HeaderSubcode.BadMessageLength, "0016");
  });

  it("rejects an unknown type with the type as data", () => {
    const f = new MessageFramer();
    f.push(hex(`${"ff".repeat(16)}001309`));
    expectHeaderError(() => f.next(), HeaderSubcode.BadMessageType, "09");
  });

  it("rejects a marker that is not all ones", () => {
    const f = new MessageFramer();
    f.push(hex(`${"ff".repeat(15)}fe001304`));
    expectHeaderError(() => f.next(), HeaderSubcode.ConnectionNotSynchronized, "");
  });
});
