import assert from "node:assert/strict";
import pino from "pino";
import type { PeerConfig, SpeakerConfig } from "../../../src/bgp/config";
import { parsePrefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { holdsFor, waitFor } from "../../lab/wait";
import { loopbackPeer } from "../../support/loopback-speakers";

// RFC 4724 4.1 over loopback: A starts as a restarting speaker with B and a
// second peer that never answers (127.0.0.3, nothing listens there). A holds
// its exports, End-of-RIB included, until convergenceTimeout, since the
// silent peer never sends End-of-RIB; without --restarting it sends at once.
const log = pino({ level: "silent" });
const CONVERGENCE_TIMEOUT_S = 3;

function peer(name: string, address: string, port: number, extra: Partial<PeerConfig>): PeerConfig {
  return loopbackPeer(name, address, name === "to_a" ? 65001 : 65002, port, extra);
}

describe("speaker selection deferral (restarting speaker)", function () {
  this.timeout(30000);
  let a: Speaker;
  let b: Speaker;

  afterEach(async () => {
    await Promise.allSettled([a?.stop("test over"), b?.stop("test over")]);
  });

  for (const restarting of [true, false]) {
    it(
      restarting
        ? `holds its exports until convergenceTimeout (${CONVERGENCE_TIMEOUT_S} s) when restarting`
        : "sends the table at once when not restarting",
      async () => {
        const portA = 20000 + Math.floor(Math.random() * 20000);
        const portB = portA + 1;
        const aConfig: SpeakerConfig = {
          routerId: "10.0.0.1",
          asn: 65001,
          listen: [{ address: "127.0.0.1", port: portA }],
          prefixes: [parsePrefix("10.244.1.0/24")],
          peers: [
            peer("to_b", "127.0.0.2", portB, { localAddress: "127.0.0.1" }),
            peer("silent", "127.0.0.3", portB, { localAddress: "127.0.0.1" }),
          ],
          gracefulRestart: { enabled: true, restartTime: 120 },
          convergenceTimeout: CONVERGENCE_TIMEOUT_S,
        };
        const bConfig: SpeakerConfig = {
          routerId: "10.0.0.2",
          asn: 65002,
          listen: [{ address: "127.0.0.2", port: portB }],
          prefixes: [parsePrefix("10.244.2.0/24")],
          peers: [peer("to_a", "127.0.0.1", portA, { passive: true, localAddress: "127.0.0.2" })],
          gracefulRestart: { enabled: true, restartTime: 120 },
        };
        b = new Speaker(bConfig, log);
        a = new Speaker(aConfig, log, { restarting });
        await b.start();
        const started = Date.now();
        await a.start();
        const fromA = () =>
          b
            .routes()
            .filter((r) => r.peer === "to_a")
            .map((r) => r.prefix);
        await waitFor(() => b.peers()[0]?.bgpState, {
          timeoutMs: 10000,
          what: "B Established with A",
          until: (s) => s === "Established",
        });
        // A hears B either way: deferral holds exports, not imports.
        await waitFor(() => a.routes().filter((r) => r.peer === "to_b").length, {
          timeoutMs: 5000,
          what: "A to learn B's prefix",
          until: (n) => n === 1,
        });
        if (restarting) {
          const window = CONVERGENCE_TIMEOUT_S * 1000 - (Date.now() - started) - 500;
          assert.ok(window > 1000, "the session came up well before the deferral ends");
          await holdsFor(fromA, {
            windowMs: window,
            what: "B to get nothing from A yet",
            holds: (p) => p.length === 0,
          });
          assert.equal(a.rib.exporter.held, true);
        }
        await waitFor(fromA, {
          timeoutMs: CONVERGENCE_TIMEOUT_S * 1000 + 5000,
          what: "B to learn A's prefix",
          until: (p) => p.length === 1 && p[0] === "10.244.1.0/24",
        });
        if (restarting)
          assert.ok(Date.now() - started >= CONVERGENCE_TIMEOUT_S * 1000 - 100, "not before the timer");
        else assert.ok(Date.now() - started < CONVERGENCE_TIMEOUT_S * 1000, "without waiting for the timer");
        assert.equal(a.rib.exporter.held, false);
      },
    );
  }
});
