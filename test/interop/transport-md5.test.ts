// The transport layer against BIRD 2 across a veth pair in two namespaces we
// create: TCP MD5 (RFC 2385) both ways, IPv4 and IPv6, and GTSM (RFC 5082).
// Our side runs in namespace A through test/lab/transport-probe; BIRD runs in B.
// Failures to connect are confirmed by the kernel counters of the dropping
// side (TCPMD5Failure, TCPMinTTLDrop), not by waiting and hoping.
// BIRD applies GTSM only to accepted sockets, after the handshake, so the
// refusal direction is tested against our listener, not against BIRD's.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { JsonLines, NetnsPair, run, type Side, waitFor } from "../lab/transport-netns";

const PROBE = join(__dirname, "..", "lab", "transport-probe.js");
const OPEN_HEAD_BYTES = 19;

/** 16-byte all-ones marker, 2-byte length, type 1 (OPEN). */
function assertOpen(hex: unknown): void {
  assert.equal(typeof hex, "string");
  const bytes = Buffer.from(hex as string, "hex");
  assert.ok(
    bytes.subarray(0, 16).every((b) => b === 0xff),
    `marker in ${hex}`,
  );
  assert.equal(bytes[18], 1, `type byte in ${hex}`);
}

function birdConfig(o: {
  self: string;
  peer: string;
  password: string;
  passive: boolean;
  gtsm?: boolean;
}): string {
  const v6 = o.peer.includes(":");
  return `router id 10.77.0.2;
protocol device { scan time 1; }
protocol bgp to_flat {
  local ${o.self} as 65002;
  neighbor ${o.peer} as 65001;
  password "${o.password}";
  ${o.passive ? "passive on;" : "connect delay time 1; connect retry time 1;"}
  ${o.gtsm ? "ttl security on;" : ""}
  ${v6 ? "ipv6" : "ipv4"} { import none; export none; };
}
`;
}

describe("transport against BIRD 2 in namespaces", function () {
  this.timeout(60_000);
  let lab: NetnsPair;
  let bird: { pid: number; socket: string } | undefined;
  const probes: ChildProcess[] = [];

  before(async () => {
    lab = await NetnsPair.create();
  });
  after(async () => {
    await lab?.destroy();
  });
  afterEach(async () => {
    for (const p of probes.splice(0)) p.kill("SIGKILL");
    if (bird) await stopBird(bird.pid);
    bird = undefined;
  });

  async function stopBird(pid: number): Promise<void> {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return;
    }
    await waitFor(`BIRD pid ${pid} to exit`, async () => {
      const state = await run("ps", ["-o", "stat=", "-p", String(pid)]).catch(() => "");
      return state === "" || state.startsWith("Z") ? true : undefined;
    });
  }

  async function startBird(config: string): Promise<void> {
    bird = await lab.startBird(lab.b, `bird${Date.now()}`, config);
  }

  async function waitBirdListening(): Promise<void> {
    await waitFor("BIRD listening on port 179", async () => {
      const out = await lab.exec(lab.b, "ss", ["-Htln", "sport = :179"]);
      return out.trim() ? true : undefined;
    });
  }

  function probe(command: Record<string, unknown>): JsonLines {
    const child = lab.spawn(lab.a, process.execPath, [
      PROBE,
      JSON.stringify({ bytes: OPEN_HEAD_BYTES, ...command }),
    ]);
    probes.push(child);
    return new JsonLines(child);
  }

  async function listenInA(keys: Record<string, string>, minTtl?: number): Promise<JsonLines> {
    const out = probe({ mode: "listen", address: "0.0.0.0", port: 179, keys, minTtl });
    await out.next("probe listening", (m) => m.event === "listening" || m.event === "fatal");
    assert.equal(out.seen[0]!.event, "listening", JSON.stringify(out.seen[0]));
    return out;
  }

  async function counterRises(side: Side, name: string, action: () => Promise<void>): Promise<void> {
    const before = await lab.tcpExtCounter(side, name);
    await action();
    await waitFor(`${name} in ${side.ns} to rise above ${before}`, async () =>
      (await lab.tcpExtCounter(side, name)) > before ? true : undefined,
    );
  }

  it("accepts BIRD's MD5-signed connection when the listener has the same key", async () => {
    const out = await listenInA({ [lab.b.v4]: "secret" });
    await startBird(birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: false }));
    const got = await out.next("BIRD's OPEN", (m) => m.event === "bytes");
    assert.equal(got.remote, lab.b.v4);
    assertOpen(got.hex);
  });

  it("never accepts BIRD's connection when the listener's key differs", async () => {
    const out = await listenInA({ [lab.b.v4]: "not-the-secret" });
    await counterRises(lab.a, "TCPMD5Failure", () =>
      startBird(birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: false })),
    );
    assert.deepEqual(
      out.seen.filter((m) => m.event === "connection"),
      [],
    );
  });

  it("connects to a passive BIRD with the same key and reads its OPEN", async () => {
    await startBird(birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: true }));
    await waitBirdListening();
    const out = probe({
      mode: "connect",
      remoteAddress: lab.b.v4,
      remotePort: 179,
      password: "secret",
      timeoutMs: 5000,
    });
    const done = await out.next("connect result", (m) => m.event === "bytes" || m.event === "error");
    assert.equal(done.event, "bytes", JSON.stringify(out.seen));
    assertOpen(done.hex);
  });

  it("connects to a passive BIRD over IPv6 with the same key", async () => {
    await startBird(birdConfig({ self: lab.b.v6, peer: lab.a.v6, password: "secret", passive: true }));
    await waitBirdListening();
    const out = probe({
      mode: "connect",
      remoteAddress: lab.b.v6,
      remotePort: 179,
      password: "secret",
      timeoutMs: 5000,
    });
    const done = await out.next("connect result", (m) => m.event === "bytes" || m.event === "error");
    assert.equal(done.event, "bytes", JSON.stringify(out.seen));
    assertOpen(done.hex);
  });

  it("gets no connection to a passive BIRD with a different key", async () => {
    await startBird(birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: true }));
    await waitBirdListening();
    let out: JsonLines | undefined;
    await counterRises(lab.b, "TCPMD5Failure", async () => {
      out = probe({
        mode: "connect",
        remoteAddress: lab.b.v4,
        remotePort: 179,
        password: "wrong",
        timeoutMs: 3000,
      });
    });
    const done = await out!.next("connect result", (m) => m.event === "bytes" || m.event === "error");
    assert.equal(done.event, "error");
    assert.equal(done.code, "ETIMEDOUT");
  });

  describe("GTSM (RFC 5082)", () => {
    it("accepts BIRD's TTL-255 connection on a listener requiring 255", async () => {
      const out = await listenInA({ [lab.b.v4]: "secret" }, 255);
      await startBird(
        birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: false, gtsm: true }),
      );
      assertOpen((await out.next("BIRD's OPEN", (m) => m.event === "bytes")).hex);
    });

    // Without GTSM BIRD sends to a directly connected eBGP peer with TTL 1.
    it("never accepts BIRD's TTL-1 connection on a listener requiring 255", async () => {
      const out = await listenInA({ [lab.b.v4]: "secret" }, 255);
      await counterRises(lab.a, "TCPMinTTLDrop", () =>
        startBird(birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: false })),
      );
      assert.deepEqual(
        out.seen.filter((m) => m.event === "connection"),
        [],
      );
    });

    it("connects to a passive GTSM BIRD with TTL 255 and minimum 255", async () => {
      await startBird(
        birdConfig({ self: lab.b.v4, peer: lab.a.v4, password: "secret", passive: true, gtsm: true }),
      );
      await waitBirdListening();
      const out = probe({
        mode: "connect",
        remoteAddress: lab.b.v4,
        remotePort: 179,
        password: "secret",
        ttl: 255,
        minTtl: 255,
        timeoutMs: 5000,
      });
      const done = await out.next("connect result", (m) => m.event === "bytes" || m.event === "error");
      assert.equal(done.event, "bytes", JSON.stringify(out.seen));
      assertOpen(done.hex);
    });
  });
});
