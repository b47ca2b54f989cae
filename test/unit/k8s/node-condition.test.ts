import assert from "node:assert/strict";
import { conditionPatch, NetworkCondition, REASON_DOWN, REASON_UP } from "../../../src/k8s/node-condition";

const up = { routesProgrammed: true, sessions: 2, established: 1 };
const down = { routesProgrammed: true, sessions: 2, established: 0 };

describe("k8s NetworkUnavailable condition", () => {
  it("is False once routes are programmed and one session is Established", () => {
    const c = new NetworkCondition(60_000, 0);
    assert.equal(c.evaluate({ ...up, routesProgrammed: false }, 10), undefined);
    assert.deepEqual(c.evaluate(up, 20)?.status, "False");
    assert.equal(c.evaluate(up, 20)?.reason, REASON_UP);
  });

  it("turns True only after every session stayed down for the configured time", () => {
    const c = new NetworkCondition(60_000, 0);
    c.evaluate(up, 1_000);
    assert.equal(c.evaluate(down, 2_000), undefined, "a fresh loss leaves it unchanged");
    assert.equal(c.nextDeadline(down), 61_000);
    assert.equal(c.evaluate(down, 60_999), undefined);
    assert.equal(c.evaluate(down, 61_000)?.status, "True");
    assert.equal(c.evaluate(down, 61_000)?.reason, REASON_DOWN);
    assert.equal(c.evaluate(up, 62_000)?.status, "False", "and False again when a session is back");
  });

  it("is False for a node with no session to have (single-node cluster), never True", () => {
    const c = new NetworkCondition(1_000, 0);
    const alone = { routesProgrammed: true, sessions: 0, established: 0 };
    assert.equal(c.evaluate(alone, 10_000)?.status, "False");
    assert.equal(c.nextDeadline(alone), undefined);
  });

  it("never turns True with 0", () => {
    const c = new NetworkCondition(0, 0);
    assert.equal(c.evaluate(down, 10_000_000), undefined);
    assert.equal(c.nextDeadline(down), undefined);
  });

  it("patches only its own condition, merged by type", () => {
    const p = conditionPatch({ status: "False", reason: REASON_UP, message: "m" }, new Date(0)) as {
      status: { conditions: { type: string; lastTransitionTime: string }[] };
    };
    assert.equal(p.status.conditions.length, 1);
    assert.equal(p.status.conditions[0]?.type, "NetworkUnavailable");
    assert.equal(p.status.conditions[0]?.lastTransitionTime, "1970-01-01T00:00:00.000Z");
  });
});
