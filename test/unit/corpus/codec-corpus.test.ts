// Every hostile-input corpus case (test/corpus/bgp) through the pure codec:
// decodeMessage, plus validateOpen for OPENs, must reach the outcome the
// case's RFC prescribes. The session-level twin is session-corpus.test.ts.
import assert from "node:assert/strict";
import {
  attributeName,
  BgpError,
  decodeShutdownCommunication,
  ErrorAction,
  type Message,
  MessageType,
  type UpdateMessage,
} from "../../../src/bgp/codec";
import { announced, decodeLikeSession, loadCorpus, withdrawn } from "../../corpus/build";

function asUpdate(m: Message, name: string): UpdateMessage {
  assert.equal(m.type, MessageType.Update, `${name}: expected an UPDATE`);
  return m as UpdateMessage;
}

describe("hostile-input corpus through the codec", () => {
  const cases = loadCorpus();

  it(`holds at least 60 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 60);
  });

  for (const c of cases) {
    it(`${c.file}: ${c.name}`, () => {
      const e = c.expect;
      if (c.direction === "fsm") {
        // Well-formed; only the FSM state makes it an error (session corpus).
        decodeLikeSession(c);
        return;
      }
      if ("notification" in e) {
        assert.throws(
          () => decodeLikeSession(c),
          (err: unknown) => {
            assert.ok(err instanceof BgpError, `expected a BgpError, got ${String(err)}`);
            assert.deepEqual(
              [err.code, err.subcode],
              [e.notification.code, e.notification.subcode],
              err.message,
            );
            assert.ok(err.action >= ErrorAction.AfiSafiDisable, "a NOTIFICATION means the session goes");
            return true;
          },
        );
        return;
      }
      const d = decodeLikeSession(c);
      if ("closedByPeer" in e) {
        assert.equal(d.message.type, MessageType.Notification);
        if (d.message.type !== MessageType.Notification) return;
        assert.equal(decodeShutdownCommunication(d.message), e.closedByPeer.shutdownMessage);
        return;
      }
      const worst = Math.max(ErrorAction.None, ...d.problems.map((p) => p.action));
      if ("treatAsWithdraw" in e) {
        assert.equal(worst, ErrorAction.TreatAsWithdraw, JSON.stringify(d.problems));
        const u = asUpdate(d.message, c.name);
        assert.deepEqual(announced(u), [], "nothing stays announced");
        assert.deepEqual(u.attributes, u.attributes.mpUnreach ? { mpUnreach: u.attributes.mpUnreach } : {});
        const gone = withdrawn(u);
        for (const p of e.prefixes ?? [])
          assert.ok(gone.includes(p), `${p} withdrawn (got ${gone.join(", ")})`);
        return;
      }
      if ("attributeDiscard" in e) {
        assert.equal(worst, ErrorAction.AttributeDiscard, JSON.stringify(d.problems));
        const names = d.problems.map((p) => (p.attribute === undefined ? "?" : attributeName(p.attribute)));
        assert.ok(names.includes(e.attributeDiscard), `discarded ${names.join(", ")}`);
        if (e.prefixes) assert.deepEqual(announced(asUpdate(d.message, c.name)), [...e.prefixes].sort());
        return;
      }
      assert.deepEqual(d.problems, [], "no RFC 7606 problem");
      if ("accepted" in e) {
        if (e.prefixes)
          assert.deepEqual([...new Set(announced(asUpdate(d.message, c.name)))], [...e.prefixes].sort());
        return;
      }
      // ignored: decodes cleanly and announces nothing.
      if (d.message.type === MessageType.Update) assert.deepEqual(announced(d.message), []);
    });
  }
});
