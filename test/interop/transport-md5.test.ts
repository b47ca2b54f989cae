// The transport layer against BIRD 2 across a veth pair in two namespaces we
// create: TCP MD5 (RFC 2385) both ways, IPv4 and IPv6, and GTSM (RFC 5082).
// Our side runs in namespace A through test/lab/transport-probe; BIRD runs in B.
// Failures to connect are confirmed by the kernel counters of the dropping
// side (TCPMD5Failure, TCPMinTTLDrop), not by waiting and hoping.
// BIRD applies GTSM only to accepted sockets, after the handshake, so the
// refusal direction is tested against our listener, not against BIRD's.
import assert from "node:assert/strict";
import { join } from "node:path";
import { JsonLines } from "../lab/json-lines";
import { tcpExtCounter } from "../lab/kernel-counters";
import { Lab, type LabProcess, type Netns } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import type { AddressFamily } from "../lab/peers/types";
import { addressPair, pairTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const PROBE = join(__dirname, "..", "lab", "transport-probe.js");
const OPEN_HEAD_BYTES = 19;
const V4 = addressPair(0, "ipv4");
const V6 = addressPair(0, "ipv6");

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

/** Our address in A ("left") and BIRD's in B ("right") for one family. */
const pairOf = (family: AddressFamily) => (family === "ipv4" ? V4 : V6);

describe("transport against BIRD 2 in namespaces", function () {
  this.timeout(60_000);
  let lab: Lab;
  let a: Netns;
  let b: Netns;
  let bird: BirdPeer | undefined;
  const probes: LabProcess[] = [];

  before(async () => {
    lab = Lab.create();
    ({ left: a, right: b } = await pairTopology(lab, "a", "b", [V4, V6]));
  });
  after(async () => {
    await lab?.teardown();
  });
  afterEach(async () => {
    for (const p of probes.splice(0)) {
      p.signal("SIGKILL");
      await p.exited;
    }
    await bird?.stop();
    bird = undefined;
  });

  /** BIRD in B (AS 65002) with one neighbor: us in A (AS 65001), password "secret". */
  async function startBird(o: { family?: AddressFamily; passive: boolean; gtsm?: boolean }): Promise<void> {
    const family = o.family ?? "ipv4";
    const pair = pairOf(family);
    const spec = {
      routerId: V4.right,
      asn: 65002,
      routes: [],
      neighbors: [
        {
          name: "to_flat",
          address: pair.left,
          localAddress: pair.right,
          asn: 65001,
          password: "secret",
          passive: o.passive,
          families: [family],
        },
      ],
    };
    bird = await BirdPeer.start(b, spec, { ttlSecurity: o.gtsm });
  }

  async function waitBirdListening(): Promise<void> {
    await waitFor(async () => (await b.exec("ss", ["-Htln", "sport = :179"])).stdout.trim(), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: "BIRD listening on port 179",
    });
  }

  function probe(command: Record<string, unknown>): JsonLines {
    const proc = a.spawn(process.execPath, [PROBE, JSON.stringify({ bytes: OPEN_HEAD_BYTES, ...command })], {
      pipeStdio: true,
      logName: "transport-probe",
    });
    probes.push(proc);
    return new JsonLines(proc.child);
  }

  async function listenInA(keys: Record<string, string>, minTtl?: number): Promise<JsonLines> {
    const out = probe({ mode: "listen", address: "0.0.0.0", port: 179, keys, minTtl });
    await out.next("probe listening", (m) => m.event === "listening" || m.event === "fatal");
    assert.equal(out.seen[0]!.event, "listening", JSON.stringify(out.seen[0]));
    return out;
  }

  function connectFromA(family: AddressFamily, password: string, more: Record<string, unknown>): JsonLines {
    return probe({
      mode: "connect",
      remoteAddress: pairOf(family).right,
      remotePort: 179,
      password,
      ...more,
    });
  }

  /** Starts a passive BIRD, connects to it from A with the same key and checks that it sends an OPEN. */
  async function readOpenFromPassiveBird(
    family: AddressFamily,
    o: { gtsm?: boolean; ttl?: number; minTtl?: number } = {},
  ): Promise<void> {
    await startBird({ family, passive: true, gtsm: o.gtsm });
    await waitBirdListening();
    const out = connectFromA(family, "secret", { ttl: o.ttl, minTtl: o.minTtl, timeoutMs: 5000 });
    const done = await out.next("connect result", (m) => m.event === "bytes" || m.event === "error");
    assert.equal(done.event, "bytes", JSON.stringify(out.seen));
    assertOpen(done.hex);
  }

  async function counterRises(ns: Netns, name: string, action: () => Promise<void>): Promise<void> {
    const before = await tcpExtCounter(ns, name);
    await action();
    await waitFor(() => tcpExtCounter(ns, name), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: `${name} in ${ns.name} to rise above ${before}`,
      until: (n) => n > before,
    });
  }

  it("accepts BIRD's MD5-signed connection when the listener has the same key", async () => {
    const out = await listenInA({ [V4.right]: "secret" });
    await startBird({ passive: false });
    const got = await out.next("BIRD's OPEN", (m) => m.event === "bytes");
    assert.equal(got.remote, V4.right);
    assertOpen(got.hex);
  });

  it("never accepts BIRD's connection when the listener's key differs", async () => {
    const out = await listenInA({ [V4.right]: "not-the-secret" });
    await counterRises(a, "TCPMD5Failure", () => startBird({ passive: false }));
    assert.deepEqual(
      out.seen.filter((m) => m.event === "connection"),
      [],
    );
  });

  it("connects to a passive BIRD with the same key and reads its OPEN", async () => {
    await readOpenFromPassiveBird("ipv4");
  });

  it("connects to a passive BIRD over IPv6 with the same key", async () => {
    await readOpenFromPassiveBird("ipv6");
  });

  it("gets no connection to a passive BIRD with a different key", async () => {
    await startBird({ passive: true });
    await waitBirdListening();
    let out: JsonLines | undefined;
    await counterRises(b, "TCPMD5Failure", async () => {
      out = connectFromA("ipv4", "wrong", { timeoutMs: 3000 });
    });
    const done = await out!.next("connect result", (m) => m.event === "bytes" || m.event === "error");
    assert.equal(done.event, "error");
    assert.equal(done.code, "ETIMEDOUT");
  });

  describe("GTSM (RFC 5082)", () => {
    it("accepts BIRD's TTL-255 connection on a listener requiring 255", async () => {
      const out = await listenInA({ [V4.right]: "secret" }, 255);
      await startBird({ passive: false, gtsm: true });
      assertOpen((await out.next("BIRD's OPEN", (m) => m.event === "bytes")).hex);
    });

    // Without GTSM BIRD sends to a directly connected eBGP peer with TTL 1.
    it("never accepts BIRD's TTL-1 connection on a listener requiring 255", async () => {
      const out = await listenInA({ [V4.right]: "secret" }, 255);
      await counterRises(a, "TCPMinTTLDrop", () => startBird({ passive: false }));
      assert.deepEqual(
        out.seen.filter((m) => m.event === "connection"),
        [],
      );
    });

    it("connects to a passive GTSM BIRD with TTL 255 and minimum 255", async () => {
      await readOpenFromPassiveBird("ipv4", { gtsm: true, ttl: 255, minTtl: 255 });
    });
  });
});
