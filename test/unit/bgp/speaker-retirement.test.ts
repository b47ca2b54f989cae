import assert from "node:assert/strict";
import pino from "pino";
import type { PeerConfig, SpeakerConfig } from "../../../src/bgp/config";
import { Speaker } from "../../../src/bgp/speaker";
import { holdsFor, waitFor } from "../../lab/wait";
import { loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";

// Three iBGP speakers on loopback in a full mesh (127.0.0.1 hub, .2, .3; .3
// originates X). Taking .3 out of .2's config closes that session at once, but
// .2 keeps X until another peer gives it (make-before-break), or until the
// deadline when none does.
const log = pino({ level: "silent" });
const ASN = 65001;
const X = "10.244.3.0/24";

describe("speaker: a deconfigured peer's routes stay until other peers cover them", function () {
  this.timeout(30000);
  let speakers: Speaker[] = [];
  afterEach(async () => {
    await Promise.allSettled(speakers.map((s) => s.stop("test over")));
    speakers = [];
  });

  async function mesh(retirementDeadlineMs: number) {
    const base = 40000 + Math.floor(Math.random() * 15000);
    const port = (n: number) => base + n;
    const peer = (n: number, from: number, extra: Partial<PeerConfig> = {}) =>
      loopbackPeer(`s${n}`, `127.0.0.${n}`, ASN, port(n), {
        localAddress: `127.0.0.${from}`,
        passive: n < from,
        ...extra,
      });
    const config = (n: number, reflect = false): SpeakerConfig => {
      const c = loopbackSpeakerConfig({
        routerId: `10.0.0.${n}`,
        asn: ASN,
        listen: `127.0.0.${n}`,
        port: port(n),
        prefixes: n === 3 ? [X] : [],
        peers: [1, 2, 3]
          .filter((o) => o !== n)
          .map((o) => peer(o, n, n === 1 ? { routeReflectorClient: reflect } : {})),
      });
      if (reflect) c.routeReflector = { clusterId: "10.0.0.1" };
      return c;
    };
    const s = [1, 2, 3].map(
      (n) => new Speaker(config(n), log, n === 2 ? { retirement: { deadlineMs: retirementDeadlineMs } } : {}),
    );
    speakers.push(...s);
    for (const x of s) await x.start();
    await waitFor(() => s.flatMap((x) => x.peers().map((p) => p.bgpState)), {
      timeoutMs: 10000,
      what: "every session Established",
      until: (st) => st.length === 6 && st.every((x) => x === "Established"),
    });
    await waitFor(() => s[1]!.routes().map((r) => r.prefix), {
      timeoutMs: 5000,
      what: "s2 to learn X from s3",
      until: (ps) => ps.includes(X),
    });
    return { hub: s[0]!, s2: s[1]!, s3: s[2]!, config };
  }

  /** Takes peer `s${peer}` out of speaker n's config. */
  async function unpeer(speaker: Speaker, n: number, peer: number, config: (n: number) => SpeakerConfig) {
    const c = config(n);
    await speaker.reconfigure({ ...c, peers: c.peers.filter((p) => p.name !== `s${peer}`) });
  }

  /** s2 keeps X from s3 for a while (nothing else gives it), then has it through the hub once it reflects. */
  async function heldUntilReflected(
    hub: Speaker,
    s2: Speaker,
    config: (n: number, reflect?: boolean) => SpeakerConfig,
    what: string,
  ) {
    await holdsFor(() => s2.routes().find((r) => r.prefix === X), {
      windowMs: 600,
      intervalMs: 50,
      what: `s2 to keep X from s3 ${what}`,
      holds: (r) => r !== undefined && r.peer === "s3",
    });
    await hub.reconfigure(config(1, true));
    await waitFor(() => s2.routes().find((r) => r.prefix === X), {
      timeoutMs: 5000,
      what: "s2's X to come through the reflector, s3's held copy gone",
      until: (r) => r?.peer === "s1" && r.originatorId === "10.0.0.3",
    });
  }

  /** Samples whether s2 has X every few ms until stopped: the moments it had not. */
  function watchX(s2: Speaker) {
    let gaps = 0;
    const timer = setInterval(() => {
      if (!s2.routes().some((r) => r.prefix === X)) gaps++;
    }, 5);
    return () => {
      clearInterval(timer);
      return gaps;
    };
  }

  it("keeps the routes while no other peer has them, and lets go once the reflector does, with no gap", async () => {
    const { hub, s2, config } = await mesh(20_000);
    const stop = watchX(s2);
    await unpeer(s2, 2, 3, config);
    assert.deepEqual(
      s2.peers().map((p) => p.name),
      ["s1"],
      "the deconfigured session is gone from the peers at once",
    );
    await heldUntilReflected(hub, s2, config, "while its session is kept up");
    assert.equal(stop(), 0, "s2 lacked X at some moment");
  });

  it("keeps them as stale when the peer closes the session first, until the reflector covers them", async () => {
    const { hub, s2, s3, config } = await mesh(20_000);
    const stop = watchX(s2);
    await unpeer(s2, 2, 3, config);
    // s3 holds no route of s2, so its own retirement of s2 closes the session at once.
    await unpeer(s3, 3, 2, config);
    await heldUntilReflected(hub, s2, config, "as stale after the session closed");
    assert.equal(stop(), 0, "s2 lacked X at some moment");
  });

  it("withdraws them at the deadline when no other peer covers them", async () => {
    const { s2, config } = await mesh(700);
    const started = Date.now();
    await unpeer(s2, 2, 3, config);
    assert.ok(
      s2.routes().some((r) => r.prefix === X),
      "withdrawn at once",
    );
    await waitFor(() => s2.routes().some((r) => r.prefix === X), {
      timeoutMs: 5000,
      what: "s2 to withdraw X after the deadline",
      until: (has) => !has,
    });
    assert.ok(Date.now() - started >= 650, `withdrawn after ${Date.now() - started} ms, before the deadline`);
  });
});
