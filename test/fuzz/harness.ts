// Fuzz targets and their runner (issue 14). jazzer.js does not load on this
// host (its prebuilt addon needs GLIBC 2.38), so inputs come from fast-check
// arbitraries: random frames, and mutations of the hostile-input corpus with
// the header length re-fixed so most inputs get past the framing checks.
//
//   decode   decodeMessage + walkUpdate + MessageFramer + semantic helpers, random caps
//   fsm      a Session over a fake socket, driven through its real input path
//   control  the control server's line parser and command dispatch over a UNIX socket
//
// A crash is any exception other than the typed ones the contracts allow, an
// internal error the session swallowed and logged, a walker/decoder disagreement,
// a control request answered badly, or an input that takes longer than HANG_MS.
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import {
  Afi,
  BgpError,
  CapabilityCode,
  decodeMessage,
  decodeShutdownCommunication,
  encodeMessage,
  KEEPALIVE_FRAME,
  MessageFramer,
  MessageType,
  type OpenMessage,
  Safi,
  type SessionCaps,
  validateOpen,
  walkUpdate,
} from "../../src/bgp/codec";
import { Session } from "../../src/bgp/session/session";
import { COMMANDS, CommandError, dispatch } from "../../src/control/commands";
import { ControlServer } from "../../src/control/server";
import { buildCase, loadCorpus } from "../corpus/build";
import { FakeClock } from "../support/fake-clock";
import { FakeSpeaker, peerStatus, route } from "../support/fake-speaker";
import { DUAL_STACK } from "../support/loopback-speakers";
import { peerConfig } from "../support/scripted-peer";

export type TargetName = "decode" | "fsm" | "control";
export const TARGETS: readonly TargetName[] = ["decode", "fsm", "control"];

/** An input that took longer than this is reported as a hang. */
const HANG_MS = 2000;

export interface Finding {
  target: TargetName;
  error: string;
  /** The reproducing input (bytes for decode/fsm, the request line's UTF-8 for control). */
  input: Uint8Array;
}

export interface FuzzReport {
  target: TargetName;
  iterations: number;
  crashes: number;
  hangs: number;
  /** The first findings, deduplicated by error text. */
  findings: Finding[];
  seconds: number;
  execPerSec: number;
  slowestMs: number;
  rssStartMb: number;
  rssEndMb: number;
  /** Peak RSS of the process so far (getrusage). */
  peakRssMb: number;
}

interface Target<T> {
  name: TargetName;
  /** Inputs generated per fast-check sample call. */
  batch: number;
  arbitrary: fc.Arbitrary<T>;
  bytes(input: T): Uint8Array;
  open?(): Promise<void>;
  close?(): Promise<void>;
  /** Runs a batch; returns the findings and the slowest single input in ms. */
  execBatch(inputs: T[]): Promise<{ findings: Finding[]; slowestMs: number }>;
}

// ---------------------------------------------------------------------------
// Inputs shared by decode and fsm

/** Every corpus case's bytes plus a few well-formed messages: the mutation seeds. */
function seeds(): Uint8Array[] {
  const open: OpenMessage = {
    type: MessageType.Open,
    version: 4,
    asn: 65002,
    holdTime: 90,
    routerId: "10.0.0.2",
    capabilities: [
      { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv4, safi: Safi.Unicast } },
      { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv6, safi: Safi.Unicast } },
      { code: CapabilityCode.FourOctetAs, asn: 65002 },
      {
        code: CapabilityCode.GracefulRestart,
        restarting: false,
        notification: false,
        restartTime: 120,
        families: [],
      },
    ],
  };
  return [
    ...loadCorpus().map(buildCase),
    encodeMessage(open, { fourOctetAs: true, extendedMessage: false }),
    KEEPALIVE_FRAME,
  ];
}

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant("set" as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xfe, 0xff), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(seed: Uint8Array, mutations: Mutation[], fixLength: boolean): Uint8Array {
  let b = Array.from(seed);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.kind === "insert" ? 1 : 0));
    if (m.kind === "flip" && b.length > 0) b[at] = b[at]! ^ (1 << m.bit);
    else if (m.kind === "set" && b.length > 0) b[at] = m.value;
    else if (m.kind === "insert") b.splice(at, 0, ...m.bytes);
    else if (m.kind === "delete") b.splice(at, m.count);
    else if (m.kind === "truncate") b = b.slice(0, at);
  }
  const out = Uint8Array.from(b);
  // Keep the header consistent so the mutation reaches the body decoders.
  if (fixLength && out.length >= 19 && out.length <= 0xffff) {
    out[16] = out.length >> 8;
    out[17] = out.length & 0xff;
  }
  return out;
}

function frameOf(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = out.length >> 8;
  out[17] = out.length & 0xff;
  out[18] = type;
  out.set(body, 19);
  return out;
}

function frameArb(seedList: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const fromSeed = fc
    .tuple(
      fc.nat({ max: seedList.length - 1 }),
      fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
      fc.nat(9),
    )
    .map(([i, ms, fix]) => mutate(seedList[i]!, ms, fix > 0));
  const random = fc
    .tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 300 }))
    .map(([type, body]) => frameOf(type, body));
  return fc.oneof(
    { weight: 7, arbitrary: fromSeed },
    { weight: 2, arbitrary: random },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );
}

const capsArb: fc.Arbitrary<SessionCaps> = fc
  .record({
    fourOctetAs: fc.boolean(),
    extendedMessage: fc.boolean(),
    external: fc.boolean(),
    enh: fc.boolean(),
  })
  .map(({ enh, ...c }) =>
    enh ? { ...c, extendedNextHop: [{ afi: Afi.IPv4, safi: Safi.Unicast, nextHopAfi: Afi.IPv6 }] } : c,
  );

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
}

/** Runs `fn` per input, timing each; a throw is a finding for that input. */
function loop<T>(
  target: TargetName,
  inputs: T[],
  bytes: (x: T) => Uint8Array,
  fn: (x: T) => void,
): { findings: Finding[]; slowestMs: number } {
  const findings: Finding[] = [];
  let slowestMs = 0;
  for (const x of inputs) {
    const t0 = performance.now();
    try {
      fn(x);
    } catch (e) {
      findings.push({ target, error: errorText(e), input: bytes(x) });
    }
    const dt = performance.now() - t0;
    if (dt > slowestMs) slowestMs = dt;
    if (dt > HANG_MS) findings.push({ target, error: `hang: ${dt.toFixed(0)} ms`, input: bytes(x) });
  }
  return { findings, slowestMs };
}

// ---------------------------------------------------------------------------
// decode

interface DecodeInput {
  frame: Uint8Array;
  caps: SessionCaps;
  split: number;
}

/** One frame through every pure entry point; throws on anything the contracts do not allow. */
export function decodeOnce({ frame, caps, split }: DecodeInput): void {
  let decoded: ReturnType<typeof decodeMessage> | undefined;
  try {
    decoded = decodeMessage(frame, caps);
  } catch (e) {
    if (!(e instanceof BgpError)) throw e;
    if (e.code < 1 || e.code > 7) throw new Error(`BgpError with code ${e.code}`);
  }
  // The walker must only ever accept what the decoder accepts cleanly, with the same prefixes.
  let withdrawn = 0;
  let announced = 0;
  const walked = walkUpdate(frame, caps, {
    withdraw: () => void withdrawn++,
    begin: () => {},
    announce: () => void announced++,
    end: () => {},
  });
  if (walked) {
    if (decoded?.message.type !== MessageType.Update)
      throw new Error("walker accepted what decodeMessage rejects");
    if (decoded.problems.length > 0) throw new Error("walker accepted an UPDATE with RFC 7606 problems");
    if (decoded.message.withdrawn.length !== withdrawn || decoded.message.nlri.length !== announced) {
      throw new Error("walker and decoder disagree on the prefixes");
    }
  }
  if (decoded) {
    const m = decoded.message;
    if (m.type === MessageType.Open)
      validateOpen(m, { localAsn: 65001, localRouterId: "10.0.0.1", peerAsn: 65002 });
    if (m.type === MessageType.Notification) decodeShutdownCommunication(m);
    if (m.type === MessageType.Update && decoded.problems.length === 0) {
      // What we accept cleanly we can re-encode, and read back cleanly.
      let again: Uint8Array | undefined;
      try {
        again = encodeMessage(m, caps);
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
      if (again) {
        const back = decodeMessage(again, caps);
        if (back.problems.length > 0)
          throw new Error(`re-encoded UPDATE has problems: ${back.problems[0]!.reason}`);
      }
    }
  }
  // The framer over the same bytes in two chunks: a frame, null, or a BgpError.
  const framer = new MessageFramer(caps.extendedMessage ? 65535 : 4096);
  const at = frame.length === 0 ? 0 : split % frame.length;
  try {
    framer.push(frame.subarray(0, at));
    framer.next();
    framer.push(frame.subarray(at));
    for (let f = framer.next(); f !== null; f = framer.next()) {
      if (f.length < 19) throw new Error("framer returned a frame shorter than a header");
    }
  } catch (e) {
    if (!(e instanceof BgpError)) throw e;
  }
}

function decodeTarget(): Target<DecodeInput> {
  return {
    name: "decode",
    batch: 5000,
    arbitrary: fc.record({ frame: frameArb(seeds()), caps: capsArb, split: fc.nat() }),
    bytes: (x) => x.frame,
    execBatch: async (inputs) => loop("decode", inputs, (x) => x.frame, decodeOnce),
  };
}

// ---------------------------------------------------------------------------
// fsm

/** Just enough of net.Socket for a Connection: data in, writes counted, close on end. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  written = 0;
  readonly remoteAddress = "127.0.0.1";
  readonly localAddress = "127.0.0.1";
  setNoDelay(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  // A Connection pauses its socket after about 10 ms of frames in one turn of the event loop; the fuzz loop
  // feeds every input within one turn, so the fake keeps delivering (what a pause changes is when, not what).
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  write(_chunk: Uint8Array): boolean {
    this.written++;
    return true;
  }
  end(): this {
    this.destroy();
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    // Like a real socket, 'close' comes later, never inside the caller's stack.
    queueMicrotask(() => this.emit("close", false));
    return this;
  }
  feed(chunk: Uint8Array): void {
    if (!this.destroyed) this.emit("data", Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
}

interface FsmInput {
  handshake: boolean;
  fourOctet: boolean;
  extended: boolean;
  frames: Uint8Array[];
  cuts: number[];
  advanceMs: number;
}

function fsmBytes(x: FsmInput): Uint8Array {
  // Reproducer layout: one flags byte (handshake, fourOctet, extended), then the stream.
  const stream = Buffer.concat(x.frames);
  return Uint8Array.from([(x.handshake ? 1 : 0) | (x.fourOctet ? 2 : 0) | (x.extended ? 4 : 0), ...stream]);
}

const silent = () => {};

/** One session, one stream of peer bytes; throws if the session reports an internal error. */
export function fsmOnce(x: FsmInput): void {
  const problems: string[] = [];
  const clock = new FakeClock();
  const session = new Session({
    local: { asn: 65001, routerId: "10.0.0.1", gracefulRestart: { enabled: true, restartTime: 120 } },
    peer: peerConfig({ asn: 65002, passive: true, families: DUAL_STACK, extendedMessage: x.extended }),
    clock,
    log: {
      debug: silent,
      info: silent,
      warn: (m: string) => {
        if (m.includes("internal error") || m.includes("listener threw")) problems.push(m);
      },
    },
  });
  session.on("update", silent);
  session.on("routeRefresh", silent);
  session.start();
  const socket = new FakeSocket();
  session.acceptIncoming(socket as unknown as Socket);
  if (x.handshake) {
    const capabilities: OpenMessage["capabilities"] = [
      { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv4, safi: Safi.Unicast } },
      { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv6, safi: Safi.Unicast } },
      { code: CapabilityCode.RouteRefresh },
    ];
    if (x.fourOctet) capabilities.push({ code: CapabilityCode.FourOctetAs, asn: 65002 });
    if (x.extended) capabilities.push({ code: CapabilityCode.ExtendedMessage });
    const open: OpenMessage = {
      type: MessageType.Open,
      version: 4,
      asn: 65002,
      holdTime: 9,
      routerId: "10.0.0.2",
      capabilities,
    };
    socket.feed(encodeMessage(open, { fourOctetAs: x.fourOctet, extendedMessage: false }));
    socket.feed(KEEPALIVE_FRAME);
  }
  const stream = Buffer.concat(x.frames);
  let from = 0;
  for (const cut of [...x.cuts.map((c) => c % (stream.length + 1))].sort((a, b) => a - b)) {
    socket.feed(stream.subarray(from, cut));
    from = Math.max(from, cut);
  }
  socket.feed(stream.subarray(from));
  clock.advance(x.advanceMs);
  void session.stop();
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

function fsmTarget(): Target<FsmInput> {
  const frames = frameArb(seeds());
  const valid = fc.constantFrom(
    ...loadCorpus()
      .filter((c) => "accepted" in c.expect)
      .map(buildCase),
    KEEPALIVE_FRAME,
  );
  return {
    name: "fsm",
    batch: 1000,
    arbitrary: fc.record({
      handshake: fc.nat(9).map((n) => n > 1),
      fourOctet: fc.boolean(),
      extended: fc.boolean(),
      frames: fc.array(fc.oneof(frames, valid), { minLength: 1, maxLength: 4 }),
      cuts: fc.array(fc.nat(), { maxLength: 3 }),
      advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200_000 })),
    }),
    bytes: fsmBytes,
    execBatch: async (inputs) => {
      const r = loop("fsm", inputs, fsmBytes, fsmOnce);
      // Let the sockets' 'close' microtasks and the sessions' closing settle.
      await new Promise((done) => setImmediate(done));
      return r;
    },
  };
}

// ---------------------------------------------------------------------------
// control

function controlTarget(): Target<string> {
  const argNames = [...new Set(COMMANDS.flatMap((c) => Object.keys(c.args)))];
  const request = fc
    .record(
      {
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double(), fc.boolean()),
        command: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...COMMANDS.map((c) => c.name)) },
          fc.string(),
        ),
        args: fc.oneof(
          fc.dictionary(fc.oneof(fc.constantFrom(...argNames), fc.string()), fc.jsonValue(), { maxKeys: 4 }),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    )
    .map((r) => JSON.stringify(r));
  const line = fc
    .oneof(
      { weight: 6, arbitrary: request },
      { weight: 2, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
    )
    .map((s) => s.replace(/\n/g, " "));

  const path = join(tmpdir(), `flatroute-fuzz-${process.pid}.sock`);
  const speaker = new FakeSpeaker(
    [
      peerStatus({ name: "p1", address: "10.0.0.2", asn: 65002 }),
      peerStatus({ name: "p2", address: "fd00::2", asn: 65003 }),
    ],
    [route({ prefix: "10.1.0.0/24", peer: "p1" }), route({ prefix: "fd00:1::/48", peer: "p2" })],
  );
  let server: ControlServer | undefined;
  let client: Socket | undefined;
  let replies: string[] = [];
  let pending = "";
  const handlerFailures: Finding[] = [];

  async function ensureClient(): Promise<Socket> {
    if (client && !client.destroyed) return client;
    replies = [];
    pending = "";
    const c = connect(path);
    c.setEncoding("utf8");
    c.on("data", (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        replies.push(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    });
    c.on("error", () => {});
    await new Promise<void>((done, fail) => {
      c.once("connect", () => done());
      c.once("error", fail);
    });
    client = c;
    return c;
  }

  return {
    name: "control",
    batch: 2000,
    arbitrary: line,
    bytes: (s) => new TextEncoder().encode(s),
    open: async () => {
      server = await ControlServer.listen(path, async (command, args) => {
        try {
          return await dispatch({ speaker, version: "fuzz" }, command, args);
        } catch (e) {
          // Bad user input must come back as a CommandError, never as a crash of the command.
          if (!(e instanceof CommandError)) {
            handlerFailures.push({
              target: "control",
              error: `dispatch threw ${errorText(e)}`,
              input: new TextEncoder().encode(JSON.stringify({ id: 0, command, args })),
            });
          }
          throw e;
        }
      });
    },
    close: async () => {
      client?.destroy();
      await server?.close();
    },
    execBatch: async (inputs) => {
      const c = await ensureClient();
      replies = [];
      const expected = inputs.filter((l) => l.trim() !== "").length;
      const t0 = performance.now();
      c.write(`${inputs.join("\n")}\n`);
      const findings: Finding[] = [];
      const deadline = Date.now() + 30_000;
      while (replies.length < expected && Date.now() < deadline && !c.destroyed) {
        await new Promise((done) => setTimeout(done, 1));
      }
      const slowestMs = performance.now() - t0;
      const batchBytes = new TextEncoder().encode(inputs.join("\n"));
      if (replies.length !== expected) {
        findings.push({
          target: "control",
          error: `hang: ${replies.length} of ${expected} replies`,
          input: batchBytes,
        });
      }
      for (const r of replies) {
        try {
          const v = JSON.parse(r) as { ok?: unknown };
          if (typeof v.ok !== "boolean") throw new Error("reply without a boolean ok");
        } catch (e) {
          findings.push({
            target: "control",
            error: `bad reply ${r.slice(0, 200)}: ${errorText(e)}`,
            input: batchBytes,
          });
        }
      }
      findings.push(...handlerFailures.splice(0));
      return { findings, slowestMs };
    },
  };
}

// ---------------------------------------------------------------------------
// runner

function makeTarget(name: TargetName): Target<DecodeInput> | Target<FsmInput> | Target<string> {
  if (name === "decode") return decodeTarget();
  if (name === "fsm") return fsmTarget();
  return controlTarget();
}

/** Where reproducers go: the source tree's test/fuzz/crashes (the runner lives in dist/test/fuzz). */
export const CRASH_DIR = resolve(__dirname, "../../../test/fuzz/crashes");

function saveFinding(f: Finding, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const hex = Buffer.from(f.input).toString("hex");
  const id = createHash("sha1").update(f.error.split("\n")[0]!).update(hex).digest("hex").slice(0, 12);
  const file = join(dir, `${f.target}-${id}`);
  writeFileSync(`${file}.hex`, `${hex}\n`);
  writeFileSync(`${file}.txt`, `${f.error}\n`);
  return file;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

export async function runTarget(
  name: TargetName,
  iterations: number,
  o: { seed?: number; saveDir?: string; progress?: (done: number) => void } = {},
): Promise<FuzzReport> {
  const target = makeTarget(name) as Target<unknown>;
  const seed = o.seed ?? 1;
  await target.open?.();
  const rssStart = process.memoryUsage.rss();
  const started = performance.now();
  let done = 0;
  let crashes = 0;
  let hangs = 0;
  let slowestMs = 0;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  try {
    for (let b = 0; done < iterations; b++) {
      const n = Math.min(target.batch, iterations - done);
      const inputs = fc.sample(target.arbitrary, { numRuns: n, seed: seed * 1_000_003 + b });
      const r = await target.execBatch(inputs);
      done += n;
      slowestMs = Math.max(slowestMs, r.slowestMs);
      for (const f of r.findings) {
        if (f.error.startsWith("hang")) hangs++;
        else crashes++;
        const key = f.error.split("\n")[0]!;
        if (seen.has(key) || findings.length >= 20) continue;
        seen.add(key);
        findings.push(f);
        if (o.saveDir) saveFinding(f, o.saveDir);
      }
      o.progress?.(done);
    }
  } finally {
    await target.close?.();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    target: name,
    iterations: done,
    crashes,
    hangs,
    findings,
    seconds: Math.round(seconds * 10) / 10,
    execPerSec: Math.round(done / seconds),
    slowestMs: Math.round(slowestMs * 10) / 10,
    rssStartMb: mb(rssStart),
    rssEndMb: mb(process.memoryUsage.rss()),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
  };
}
