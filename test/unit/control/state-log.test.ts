import assert from "node:assert/strict";
import pino from "pino";
import type { State } from "../../../src/bgp/session/fsm";
import type { PeerStateChange } from "../../../src/bgp/speaker";
import { SessionStateLog } from "../../../src/control/state-log";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "info" },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  return { log, lines };
}

const change = (peer: string, from: string, to: string, reason?: string): PeerStateChange => ({
  peer,
  from: from as State,
  to: to as State,
  event: "Test_Event",
  ...(reason ? { reason } : {}),
});

describe("session state log", () => {
  it("logs each change once with peer, old and new state, event and reason", () => {
    const { log, lines } = capture();
    const states = new SessionStateLog(log);
    states.record(change("tor_a", "OpenConfirm", "Established"));
    states.record(change("tor_a", "Established", "Idle", "Error: Hold timer expired"));
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((l) => [l.level, l.peer, l.from, l.to, l.event, l.reason, l.msg]),
      [
        [
          30,
          "tor_a",
          "OpenConfirm",
          "Established",
          "Test_Event",
          undefined,
          "session tor_a: OpenConfirm -> Established",
        ],
        [
          40,
          "tor_a",
          "Established",
          "Idle",
          "Test_Event",
          "Error: Hold timer expired",
          "session tor_a: Established -> Idle (Error: Hold timer expired)",
        ],
      ],
    );
  });

  it("rate-limits a flapping peer per window and reports how many changes it left out", () => {
    const { log, lines } = capture();
    let now = 0;
    const states = new SessionStateLog(log, { windowMs: 60_000, burst: 4, clock: () => now });
    // 50 flaps (100 changes) within one window: only the burst is logged.
    for (let i = 0; i < 50; i++) {
      states.record(change("flappy", "OpenConfirm", "Established"));
      states.record(change("flappy", "Established", "Idle", "Received: Cease"));
      now += 100;
    }
    // Another peer has its own budget.
    states.record(change("steady", "OpenConfirm", "Established"));
    assert.equal(lines.filter((l) => l.peer === "flappy").length, 4);
    assert.equal(lines.filter((l) => l.peer === "steady").length, 1);
    // Next window: the first line says how many were dropped.
    now = 60_001;
    states.record(change("flappy", "Idle", "Connect"));
    const last = lines[lines.length - 1]!;
    assert.equal(last.suppressed, 96);
    assert.equal(
      last.msg,
      "session flappy: Idle -> Connect (96 earlier state changes of this peer not logged)",
    );
  });
});
