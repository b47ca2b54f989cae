import assert from "node:assert/strict";
import pino from "pino";
import type { PeerConfig } from "../../../src/bgp/config";
import { Speaker } from "../../../src/bgp/speaker";
import { waitFor } from "../../lab/wait";
import { loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";

// Max-prefix warning threshold over loopback (127.0.0.1 and 127.0.0.2): B
// limits A to LIMIT prefixes and warns at 75 %; the warning is a log line,
// written once when the count reaches the threshold, and the session stays up
// as long as the count is within the limit.
const LIMIT = 5;
const WARNING_PERCENT = 75; // ceil(5 * 0.75) = 4 prefixes

interface LogLine {
  msg: string;
  peer?: string;
  count?: number;
  limit?: number;
}

const peer = loopbackPeer;

function config(
  routerId: string,
  asn: number,
  listen: string,
  port: number,
  prefixes: string[],
  peers: PeerConfig[],
) {
  return loopbackSpeakerConfig({ routerId, asn, listen, port, prefixes, peers });
}

const own = (n: number) => Array.from({ length: n }, (_, i) => `10.244.${i + 1}.0/24`);

describe("speaker max-prefix warning threshold", function () {
  this.timeout(30000);
  const portA = 20000 + Math.floor(Math.random() * 20000);
  const portB = portA + 1;
  let a: Speaker;
  let b: Speaker;

  afterEach(async () => {
    await Promise.allSettled([a?.stop("test over"), b?.stop("test over")]);
  });

  it(`warns once at ${WARNING_PERCENT} % of the limit and keeps the session up within the limit`, async () => {
    const lines: LogLine[] = [];
    const bLog = pino({ level: "warn" }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
    const aConfig = (n: number) =>
      config("10.0.0.1", 65001, "127.0.0.1", portA, own(n), [
        peer("to_b", "127.0.0.2", 65002, portB, { localAddress: "127.0.0.1" }),
      ]);
    a = new Speaker(aConfig(3), pino({ level: "silent" }));
    b = new Speaker(
      config(
        "10.0.0.2",
        65002,
        "127.0.0.2",
        portB,
        [],
        [
          peer("to_a", "127.0.0.1", 65001, portA, {
            passive: true,
            localAddress: "127.0.0.2",
            maxPrefixes: {
              limit: LIMIT,
              warningPercent: WARNING_PERCENT,
              action: "teardown",
              restartAfter: 60,
            },
          }),
        ],
      ),
      bLog,
    );
    await b.start();
    await a.start();
    const fromA = () => b.routes().filter((r) => r.peer === "to_a").length;
    const warnings = () => lines.filter((l) => /warning threshold/.test(l.msg));

    // 3 of 5: below the threshold, no warning.
    await waitFor(fromA, { timeoutMs: 10000, what: "B to import A's 3 prefixes", until: (n) => n === 3 });
    assert.deepEqual(warnings(), []);
    const since = b.peers()[0]!.since;

    // 4 of 5: the threshold is reached, one warning naming the peer, count and limit.
    await a.reconfigure(aConfig(4));
    await waitFor(warnings, { timeoutMs: 10000, what: "the max-prefix warning", until: (w) => w.length > 0 });
    assert.equal(fromA(), 4);
    assert.deepEqual(
      warnings().map((l) => [l.peer, l.count, l.limit]),
      [["to_a", 4, LIMIT]],
    );

    // 5 of 5: at the limit, still no teardown, and the warning is not repeated.
    await a.reconfigure(aConfig(5));
    await waitFor(fromA, { timeoutMs: 10000, what: "B to import A's 5 prefixes", until: (n) => n === 5 });
    assert.equal(warnings().length, 1, "warned once, not per UPDATE");
    assert.equal(b.peers()[0]!.bgpState, "Established");
    assert.equal(b.peers()[0]!.since, since, "the session was never reset");
    assert.deepEqual(
      lines.filter((l) => /limit exceeded|tearing/.test(l.msg)),
      [],
    );
  });
});
