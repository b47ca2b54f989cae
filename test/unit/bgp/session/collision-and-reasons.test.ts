import assert from "node:assert/strict";
import { BgpError, ErrorCode, UpdateSubcode } from "../../../../src/bgp/codec/errors";
import { DEFAULT_CAPS, MessageType, type UpdateMessage } from "../../../../src/bgp/codec/types";
import { collisionWinner, routerIdNumber } from "../../../../src/bgp/session/collision";
import { type DownReason, describeDown, socketErrorText } from "../../../../src/bgp/session/down-reason";
import { classifyError, classifyFrame, sessionChecks } from "../../../../src/bgp/session/inbound";

const ours = { outgoing: true, id: 1 };
const theirs = { outgoing: false, id: 2 };

describe("collision resolution rule", () => {
  it("keeps the connection initiated by the higher BGP identifier", () => {
    const local = { routerId: "10.0.0.1", asn: 65001 };
    assert.equal(collisionWinner(ours, theirs, local, { routerId: "10.0.0.2", asn: 65002 }), theirs);
    assert.equal(collisionWinner(theirs, ours, local, { routerId: "10.0.0.0", asn: 65002 }), ours);
  });

  it("compares identifiers as unsigned 32-bit numbers", () => {
    assert.equal(routerIdNumber("255.255.255.255"), 0xffffffff);
    assert.ok(routerIdNumber("200.0.0.1") > routerIdNumber("10.0.0.1"));
    const local = { routerId: "200.0.0.1", asn: 65001 };
    assert.equal(collisionWinner(ours, theirs, local, { routerId: "10.0.0.1", asn: 65002 }), ours);
    assert.equal(
      collisionWinner(ours, theirs, { routerId: "10.0.0.1", asn: 65001 }, { routerId: "200.0.0.1", asn: 1 }),
      theirs,
    );
  });

  it("breaks a tie of equal identifiers by the larger AS (RFC 6286)", () => {
    const id = "10.0.0.1";
    assert.equal(
      collisionWinner(ours, theirs, { routerId: id, asn: 65010 }, { routerId: id, asn: 65002 }),
      ours,
    );
    assert.equal(
      collisionWinner(ours, theirs, { routerId: id, asn: 65001 }, { routerId: id, asn: 65002 }),
      theirs,
    );
  });

  it("prefers the newer of two connections in the same direction", () => {
    const older = { outgoing: false, id: 3 };
    const newer = { outgoing: false, id: 9 };
    const s = { routerId: "10.0.0.1", asn: 1 };
    assert.equal(collisionWinner(older, newer, s, { routerId: "10.0.0.2", asn: 2 }), newer);
  });
});

describe("down reasons in BIRD's words", () => {
  const cases: [DownReason, string][] = [
    [{ kind: "holdTimerExpired" }, "Error: Hold timer expired"],
    [{ kind: "notificationReceived", code: 4, subcode: 0 }, "Received: Hold timer expired"],
    [
      { kind: "notificationReceived", code: 6, subcode: 2, message: "bye" },
      "Received: Administrative shutdown: bye",
    ],
    [{ kind: "notificationSent", code: 6, subcode: 7 }, "Error: Connection collision resolution"],
    [{ kind: "connectionFailed", error: "Connection refused" }, "Socket: Connection refused"],
    [{ kind: "connectionClosed" }, "Socket: Connection closed"],
    [{ kind: "connectionClosed", error: "Connection reset by peer" }, "Socket: Connection reset by peer"],
    [{ kind: "adminDown" }, "Administratively down"],
    [{ kind: "adminDown", message: "maintenance" }, "Administratively down: maintenance"],
  ];
  for (const [reason, text] of cases) {
    it(`${JSON.stringify(reason)} -> "${text}"`, () => assert.equal(describeDown(reason), text));
  }

  it("names socket errors like strerror", () => {
    const err = (code: string) => Object.assign(new Error(`x ${code}`), { code });
    assert.equal(socketErrorText(err("ECONNREFUSED")), "Connection refused");
    assert.equal(socketErrorText(err("ECONNRESET")), "Connection reset by peer");
    assert.equal(socketErrorText(err("EWHATEVER")), "x EWHATEVER");
    assert.equal(socketErrorText("plain"), "plain");
  });
});

describe("inbound classification", () => {
  it("maps decoding errors to the FSM error event of their code", () => {
    const e = new BgpError(
      ErrorCode.UpdateMessage,
      UpdateSubcode.MalformedAsPath,
      "bad path",
      Uint8Array.of(1),
    );
    const c = classifyError(e, null);
    assert.deepEqual(c.event, { type: "UpdateMsgErr", code: 3, subcode: 11, data: Uint8Array.of(1) });
    assert.deepEqual(c.reason, { kind: "notificationSent", code: 3, subcode: 11, message: "bad path" });
  });

  it("blames the carrying message type for a non-protocol exception", () => {
    const update = new Uint8Array(23);
    update[18] = MessageType.Update;
    const c = classifyError(new TypeError("codec bug"), update);
    assert.equal(c.event.type, "UpdateMsgErr");
    assert.equal(classifyError(new TypeError("x"), null).event.type, "BGPHeaderErr");
  });

  it("never throws, whatever the bytes", () => {
    for (let n = 0; n < 200; n++) {
      const frame = Uint8Array.from({ length: 19 + (n % 40) }, (_, i) =>
        i < 16 ? 0xff : (n * 31 + i * 7) & 0xff,
      );
      frame[16] = 0;
      frame[17] = frame.length;
      assert.doesNotThrow(() => classifyFrame(frame, DEFAULT_CAPS));
    }
  });

  it("drops LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from external peers only", () => {
    const u: UpdateMessage = {
      type: MessageType.Update,
      withdrawn: [],
      nlri: [],
      attributes: { origin: 0, localPref: 200, originatorId: "1.1.1.1", clusterList: ["2.2.2.2"], med: 5 },
    };
    assert.deepEqual(sessionChecks(u, true).attributes, { origin: 0, med: 5 });
    assert.equal(sessionChecks(u, false), u);
  });
});
