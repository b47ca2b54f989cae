import assert from "node:assert/strict";
import {
  BgpError,
  CeaseSubcode,
  DEFAULT_CAPS,
  decodeMessage,
  decodeShutdownCommunication,
  ErrorCode,
  encodeMessage,
  MessageType,
  type NotificationMessage,
  RouteRefreshSubcode,
  RouteRefreshSubtype,
  shutdownNotification,
} from "../../../../src/bgp/codec";
import { frame, toHex } from "./helpers";

describe("NOTIFICATION", () => {
  it("round-trips code, subcode and data", () => {
    const bytes = frame(MessageType.Notification, "0202 fde9");
    const m = decodeMessage(bytes, DEFAULT_CAPS).message as NotificationMessage;
    assert.deepEqual(m, {
      type: MessageType.Notification,
      code: 2,
      subcode: 2,
      data: Uint8Array.of(0xfd, 0xe9),
    });
    assert.equal(toHex(encodeMessage(m, DEFAULT_CAPS)), toHex(bytes));
  });

  it("carries an RFC 9003 shutdown communication in UTF-8", () => {
    const text = "maintenance: node drain ✓";
    const m = shutdownNotification(CeaseSubcode.AdministrativeShutdown, text);
    const back = decodeMessage(encodeMessage(m, DEFAULT_CAPS), DEFAULT_CAPS).message as NotificationMessage;
    assert.equal(decodeShutdownCommunication(back), text);
    assert.equal(back.data[0], Buffer.byteLength(text));
    const reset = shutdownNotification(CeaseSubcode.AdministrativeReset, "bye");
    assert.equal(toHex(reset.data), "03627965");
  });

  it("cuts a communication over 255 bytes at a character boundary", () => {
    const m = shutdownNotification(CeaseSubcode.AdministrativeShutdown, "é".repeat(200));
    assert.equal(m.data[0], 254);
    assert.equal(decodeShutdownCommunication(m), "é".repeat(127));
  });

  it("ignores communications on other subcodes and bad lengths or UTF-8", () => {
    const base = { type: MessageType.Notification as const, code: ErrorCode.Cease };
    assert.equal(decodeShutdownCommunication({ ...base, subcode: 3, data: Uint8Array.of(1, 0x41) }), null);
    assert.equal(decodeShutdownCommunication({ ...base, subcode: 2, data: Uint8Array.of(5, 0x41) }), null);
    assert.equal(decodeShutdownCommunication({ ...base, subcode: 2, data: Uint8Array.of(1, 0xff) }), null);
    assert.equal(decodeShutdownCommunication({ ...base, subcode: 2, data: new Uint8Array(0) }), null);
  });
});

describe("ROUTE-REFRESH and KEEPALIVE", () => {
  it("round-trips ROUTE-REFRESH with the RFC 7313 subtypes", () => {
    for (const subtype of [RouteRefreshSubtype.Normal, RouteRefreshSubtype.BeginningOfRouteRefresh, 2]) {
      const bytes = frame(MessageType.RouteRefresh, `0002 0${subtype} 01`);
      const m = decodeMessage(bytes, DEFAULT_CAPS).message;
      assert.deepEqual(m, { type: MessageType.RouteRefresh, afi: 2, safi: 1, subtype });
      assert.equal(toHex(encodeMessage(m, DEFAULT_CAPS)), toHex(bytes));
    }
  });

  it("rejects a BoRR/EoRR that is not 4 bytes of body with the whole message as data", () => {
    const bytes = frame(MessageType.RouteRefresh, "0001 01 01 00");
    assert.throws(
      () => decodeMessage(bytes, DEFAULT_CAPS),
      (e: unknown) =>
        e instanceof BgpError &&
        e.code === ErrorCode.RouteRefresh &&
        e.subcode === RouteRefreshSubcode.InvalidMessageLength &&
        toHex(e.data) === toHex(bytes),
    );
  });

  it("encodes KEEPALIVE as a bare header", () => {
    assert.equal(
      toHex(encodeMessage({ type: MessageType.Keepalive }, DEFAULT_CAPS)),
      `${"ff".repeat(16)}001304`,
    );
  });
});
