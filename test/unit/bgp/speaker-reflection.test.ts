import assert from "node:assert/strict";
import pino from "pino";
import type { PeerConfig, SpeakerConfig } from "../../../src/bgp/config";
import { parsePrefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { holdsFor, waitFor } from "../../lab/wait";
import { loopbackPeer } from "../../support/loopback-speakers";

// Three iBGP speakers on loopback (127.0.0.1 hub, .2 and .3 spokes): turning
// the hub into a route reflector at run time makes .2's prefix reach .3
// without any session restarting, and turning it off withdraws it again.
const log = pino({ level: "silent" });
const ASN = 65001;
const X = "10.244.2.0/24";

function peer(name: string, address: string, port: number, extra: Partial<PeerConfig> = {}): PeerConfig {
  return loopbackPeer(name, address, ASN, port, extra);
}

describe("speaker: route reflection switched on and off at run time", function () {
  this.timeout(30000);
  const base = 40000 + Math.floor(Math.random() * 15000);
  const ports = [base, base + 1, base + 2];
  const speakers: Speaker[] = [];
  after(async () => {
    await Promise.allSettled(speakers.map((s) => s.stop("test over")));
  });

  function hubConfig(reflect: boolean): SpeakerConfig {
    const c: SpeakerConfig = {
      routerId: "10.0.0.1",
      asn: ASN,
      listen: [{ address: "127.0.0.1", port: ports[0]! }],
      prefixes: [],
      peers: [
        peer("s2", "127.0.0.2", ports[1]!, { localAddress: "127.0.0.1", routeReflectorClient: reflect }),
        peer("s3", "127.0.0.3", ports[2]!, { localAddress: "127.0.0.1", routeReflectorClient: reflect }),
      ],
      gracefulRestart: { enabled: false, restartTime: 120 },
    };
    if (reflect) c.routeReflector = { clusterId: "10.0.0.1" };
    return c;
  }

  function spoke(n: number, prefixes: string[]): Speaker {
    return new Speaker(
      {
        routerId: `10.0.0.${n}`,
        asn: ASN,
        listen: [{ address: `127.0.0.${n}`, port: ports[n - 1]! }],
        prefixes: prefixes.map(parsePrefix),
        peers: [peer("hub", "127.0.0.1", ports[0]!, { localAddress: `127.0.0.${n}`, passive: true })],
        gracefulRestart: { enabled: false, restartTime: 120 },
      },
      log,
    );
  }

  it("reflects once configured, stops when unconfigured, and keeps every session up", async () => {
    const s2 = spoke(2, [X]);
    const s3 = spoke(3, []);
    const hub = new Speaker(hubConfig(false), log);
    speakers.push(s2, s3, hub);
    await s2.start();
    await s3.start();
    await hub.start();
    await waitFor(() => hub.peers().map((p) => p.bgpState), {
      timeoutMs: 10000,
      what: "both hub sessions Established",
      until: (s) => s.every((x) => x === "Established"),
    });
    await waitFor(() => hub.routes().map((r) => r.prefix), {
      timeoutMs: 5000,
      what: "the hub to learn X",
      until: (ps) => ps.includes(X),
    });
    await holdsFor(() => s3.routes().length, {
      windowMs: 500,
      what: "no iBGP-learned route to an iBGP peer without reflection",
      holds: (n) => n === 0,
    });
    const since = hub.peers().map((p) => p.since);

    await hub.reconfigure(hubConfig(true));
    const reflected = await waitFor(() => s3.routes().find((r) => r.prefix === X), {
      timeoutMs: 5000,
      what: "s3 to receive X reflected",
      until: (r) => r !== undefined,
    });
    assert.equal(reflected?.originatorId, "10.0.0.2");
    assert.deepEqual(reflected?.clusterList, ["10.0.0.1"]);

    await hub.reconfigure(hubConfig(false));
    await waitFor(() => s3.routes().length, {
      timeoutMs: 5000,
      what: "s3 to lose X when reflection is turned off",
      until: (n) => n === 0,
    });
    assert.deepEqual(
      hub.peers().map((p) => p.since),
      since,
      "no session restarted",
    );
  });
});
