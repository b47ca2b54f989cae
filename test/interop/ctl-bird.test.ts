// The control plane around a real agent peered with BIRD in namespaces:
// readiness going from 503 to 200 as sessions come up, metrics scraped over
// HTTP, golden flatroutec output (text and JSON) for every show command,
// structured session logs, a reload that adds, removes and keeps peers
// (the kept session never resets, on either side), rejected bad reloads,
// the interactive prompt against the real agent, and SIGTERM's
// administrative shutdown. The steps share one lab and run in order.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { VERSION } from "../../src/cli/version";
import { run } from "../lab/exec";
import { Lab, type Netns } from "../lab/netns";
import { BirdPeer, birdProtocolName } from "../lab/peers/bird";
import { type AgentYaml, FlatrouteAgent, REPO_ROOT } from "../lab/peers/flatroute";
import { addressPair, pairTopology } from "../lab/topology";
import { holdsFor, waitFor } from "../lab/wait";
import { KEY, PtySession } from "../unit/cli/pty";
import { type Exposition, parseExposition, seriesKey } from "../unit/control/exposition";
import { assertGolden, normalizeJson, normalizeText, type Volatile } from "./ctl-golden";

const FLATROUTEC = resolve(REPO_ROOT, "dist", "src", "cli", "flatroutec.js");
const SESSION_TIMEOUT_MS = 30_000;
const METRICS_PORT = 9179;
const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const BIRD_ROUTES = ["10.202.0.0/24", "10.202.1.0/24", "10.202.1.128/25"];
const OUR_PREFIX = "10.244.1.0/24";
/** Prints {status, body} of one GET as JSON; the body without its trailing newline. */
const HTTP_GET = `fetch(process.argv[1], { signal: AbortSignal.timeout(5000) })
  .then(async (r) => console.log(JSON.stringify({ status: r.status, body: (await r.text()).trimEnd() })))
  .catch((e) => { console.error(e.message); process.exit(1); });`;

/** Three address pairs on one link: p1 stays, p2 is removed and p3 added by the reload. */
const PAIRS = { p1: addressPair(1, "ipv4"), p2: addressPair(2, "ipv4"), p3: addressPair(3, "ipv4") };
type PeerName = keyof typeof PAIRS;

function agentConfig(peers: PeerName[]): AgentYaml {
  return {
    routerId: PAIRS.p1.left,
    asn: AGENT_ASN,
    listen: [{ address: "0.0.0.0", port: 179 }],
    prefixes: [OUR_PREFIX],
    peers: peers.map((name) => ({
      name,
      address: PAIRS[name].right,
      asn: BIRD_ASN,
      families: ["ipv4"],
    })),
    metrics: { address: "0.0.0.0", port: METRICS_PORT },
  };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface ProtocolJson {
  name: string;
  state: string;
  bgpState: string;
  since: string;
  info: string;
  routes: { imported: number; filtered: number; exported: number };
  messages: { updatesIn: number; updatesOut: number };
}

describe("flatroutec, metrics, health, logs and reload against BIRD", function () {
  this.timeout(180_000);
  let lab: Lab;
  let agentNs: Netns;
  let birdNs: Netns;
  let agent: FlatrouteAgent;
  let bird: BirdPeer;
  let volatile: Volatile;

  const flatroutec = async (...words: string[]): Promise<CliResult> =>
    run(process.execPath, [FLATROUTEC, "-s", agent.socket, ...words], { allowFail: true });

  const json = async <T>(...words: string[]): Promise<T> => {
    const r = await flatroutec("--json", ...words);
    assert.equal(r.code, 0, `flatroutec --json ${words.join(" ")} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  const protocols = () => json<ProtocolJson[]>("show", "protocols");

  /** GET inside the agent's namespace (the endpoint listens there), with Node's own fetch. */
  const http = async (path: string): Promise<{ status: number; body: string }> => {
    const r = await agentNs.exec(process.execPath, [
      "-e",
      HTTP_GET,
      `http://127.0.0.1:${METRICS_PORT}${path}`,
    ]);
    return JSON.parse(r.stdout) as { status: number; body: string };
  };

  const scrape = async (): Promise<Exposition> => {
    const r = await http("/metrics");
    assert.equal(r.status, 200);
    return parseExposition(r.body);
  };

  const sample = (e: Exposition, name: string, labels: Record<string, string> = {}) =>
    e.samples.get(seriesKey(name, labels));

  /** BIRD's `show protocols` row for one of our peers: name, proto, table, state, since, info. */
  const birdRow = async (peer: PeerName): Promise<string> => {
    const out = await bird.birdc(["show", "protocols", birdProtocolName(peer)]);
    const line = out.split("\n").find((l) => l.startsWith(birdProtocolName(peer)));
    assert.ok(line, `no BIRD row for ${peer} in:\n${out}`);
    return line;
  };

  /**
   * Two of BIRD's rows for the same session: equal except that Since may print a
   * few milliseconds apart (BIRD keeps the moment on its monotonic clock and
   * converts it to wall-clock time each time it prints it).
   */
  const sameBirdSession = (a: string, b: string): boolean => {
    const time = /(\d+):(\d+):(\d+)\.(\d+)/;
    const ms = (row: string) => {
      const m = time.exec(row);
      return m
        ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]!.padEnd(3, "0"))
        : NaN;
    };
    return a.replace(time, "T") === b.replace(time, "T") && Math.abs(ms(a) - ms(b)) <= 20;
  };

  /** "Routes: N imported, M exported" of BIRD's channel for that neighbor. */
  const birdRouteCounts = async (peer: PeerName): Promise<{ imported: number; exported: number }> => {
    const out = await bird.birdc(["show", "protocols", "all", birdProtocolName(peer)]);
    const m = /Routes:\s+(\d+) imported, (?:\d+ filtered, )?(\d+) exported/.exec(out);
    assert.ok(m, `no route counts in:\n${out}`);
    return { imported: Number(m[1]), exported: Number(m[2]) };
  };

  const agentLogLines = (): Record<string, unknown>[] =>
    agent.process
      .log()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  const established = async (peers: PeerName[]) => {
    for (const p of peers) {
      await waitFor(() => agent.established(p), {
        timeoutMs: SESSION_TIMEOUT_MS,
        what: `flatroute ${p} Established`,
      });
      await waitFor(() => bird.established(p), {
        timeoutMs: SESSION_TIMEOUT_MS,
        what: `BIRD n_${p} Established`,
      });
    }
  };

  before(async () => {
    lab = Lab.create();
    const t = await pairTopology(lab, "a", "b", Object.values(PAIRS));
    agentNs = t.left;
    birdNs = t.right;
    volatile = {
      literals: [
        [lab.dir, "<lab>"],
        [hostname(), "<node>"],
        [`flatroute ${VERSION}`, "flatroute <version>"],
        [`"version": "${VERSION}"`, `"version": "<version>"`],
      ],
    };
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
  });

  after(async () => {
    await lab.teardown();
  });

  describe("health, metrics and logs as sessions come up", () => {
    it("starts not ready (503, with reasons) while no session is up", async () => {
      // The agent comes up before BIRD exists, so its peers cannot be Established.
      agent = await FlatrouteAgent.start(agentNs, agentConfig(["p1", "p2"]));
      const live = await waitFor(() => http("/healthz"), {
        timeoutMs: 10_000,
        what: "/healthz to answer",
        until: (r) => r.status === 200,
      });
      assert.equal(live.body, "ok");
      const ready = await http("/readyz");
      assert.equal(ready.status, 503);
      const reasons = ready.body.split("\n");
      assert.equal(reasons.length, 2, ready.body);
      assert.match(reasons[0]!, /^peer p1 not established: (Idle|Connect|Active|OpenSent|OpenConfirm)\b/);
      assert.match(reasons[1]!, /^peer p2 not established: /);
    });

    it("becomes ready (200) once BIRD is up and both sessions are Established", async () => {
      bird = await BirdPeer.start(
        birdNs,
        {
          routerId: PAIRS.p1.right,
          asn: BIRD_ASN,
          routes: BIRD_ROUTES,
          neighbors: (Object.keys(PAIRS) as PeerName[]).map((name) => ({
            name,
            address: PAIRS[name].left,
            localAddress: PAIRS[name].right,
            asn: AGENT_ASN,
            families: ["ipv4"],
          })),
        },
        // Only BIRD's own routes go to each neighbor: no transit, so counts are exact.
        { bgpExport: "where source = RTS_STATIC" },
      );
      const ready = await waitFor(() => http("/readyz"), {
        timeoutMs: SESSION_TIMEOUT_MS,
        what: "/readyz to say ok",
        until: (r) => r.status === 200,
      });
      assert.equal(ready.body, "ok");
      await established(["p1", "p2"]);
    });

    it("exports the session, prefix, message, reload and build series with BIRD's numbers", async () => {
      // Wait until both sides agree on what was exchanged, then check every series against BIRD.
      await waitFor(
        async () => {
          const rows = await protocols();
          return rows.every((p) => p.routes.imported === BIRD_ROUTES.length && p.routes.exported === 1);
        },
        { timeoutMs: 15_000, what: "3 routes in and 1 out on each session" },
      );
      // The kernel layer installs the ECMP routes and our own prefix's blackhole.
      const kernel = await waitFor(() => json<{ synced: boolean; installed: number }>("show", "kernel"), {
        timeoutMs: 10_000,
        what: "the kernel table in sync with the chosen routes",
        until: (k) => k.synced && k.installed === BIRD_ROUTES.length + 1,
      });
      assert.equal(kernel.installed, 4);
      const e = await scrape();
      assert.equal(sample(e, "flatroute_fib_routes_installed"), BIRD_ROUTES.length + 1);
      assert.equal(sample(e, "flatroute_fib_errors_total"), 0);
      for (const p of ["p1", "p2"] as const) {
        const birdCounts = await birdRouteCounts(p);
        assert.equal(sample(e, "flatroute_bgp_session_state", { peer: p, peer_address: PAIRS[p].right }), 1);
        assert.equal(sample(e, "flatroute_bgp_session_fsm_state", { peer: p, state: "Established" }), 1);
        assert.equal(sample(e, "flatroute_bgp_session_fsm_state", { peer: p, state: "Active" }), 0);
        assert.ok((sample(e, "flatroute_bgp_session_uptime_seconds", { peer: p }) ?? -1) >= 0);
        // What BIRD says it sends us is what we received and accepted; what it imported is what we advertise.
        assert.equal(sample(e, "flatroute_bgp_prefixes_received_total", { peer: p }), birdCounts.exported);
        assert.equal(sample(e, "flatroute_bgp_prefixes_filtered_total", { peer: p }), 0);
        assert.equal(
          sample(e, "flatroute_bgp_prefixes_accepted", { peer: p, family: "ipv4" }),
          birdCounts.exported,
        );
        assert.equal(
          sample(e, "flatroute_bgp_prefixes_advertised", { peer: p, family: "all" }),
          birdCounts.imported,
        );
        assert.equal(birdCounts.exported, BIRD_ROUTES.length);
        assert.equal(birdCounts.imported, 1);
        assert.ok((sample(e, "flatroute_bgp_updates_received_total", { peer: p }) ?? 0) >= 1);
        assert.ok((sample(e, "flatroute_bgp_updates_sent_total", { peer: p }) ?? 0) >= 1);
        assert.equal(sample(e, "flatroute_bgp_notifications_received_total", { peer: p }), 0);
      }
      assert.equal(sample(e, "flatroute_config_reloads_total"), 0);
      assert.equal(sample(e, "flatroute_config_last_reload_success"), 1);
      assert.equal(sample(e, "flatroute_build_info", { version: VERSION, node_version: process.version }), 1);
      assert.equal(e.types.get("flatroute_bgp_updates_received_total"), "counter");
      assert.equal(e.types.get("flatroute_bgp_session_state"), "gauge");
      assert.ok(sample(e, "flatroute_process_resident_memory_bytes")! > 0);
    });

    it("logs each session state change once, as structured JSON with peer, old and new state", () => {
      const changes = agentLogLines().filter((l) => l.peer === "p1" && l.to !== undefined);
      const toEstablished = changes.filter((l) => l.to === "Established");
      assert.equal(toEstablished.length, 1, JSON.stringify(changes));
      assert.equal(toEstablished[0]!.from, "OpenConfirm");
      assert.equal(toEstablished[0]!.event, "KeepAliveMsg");
      assert.equal(toEstablished[0]!.level, 30);
      // Every line is a real change, and consecutive ones chain: nothing logged twice, nothing skipped.
      for (let i = 1; i < changes.length; i++) assert.equal(changes[i]!.from, changes[i - 1]!.to);
      for (const c of changes) assert.notEqual(c.from, c.to);
      // The session's own free-text line for the same change stays below info.
      assert.ok(
        !agentLogLines().some(
          (l) => typeof l.msg === "string" && / -> Established \(/.test(l.msg) && l.to === undefined,
        ),
      );
    });
  });

  describe("golden output of every show command", () => {
    const cases: [string, string[]][] = [
      ["show-status", ["show", "status"]],
      ["show-protocols", ["show", "protocols"]],
      ["show-protocols-p1", ["show", "protocols", "p1"]],
      ["show-protocols-all-p1", ["show", "protocols", "all", "p1"]],
      ["show-route", ["show", "route"]],
      ["show-route-for", ["show", "route", "for", "10.202.1.130"]],
      ["show-route-prefix", ["show", "route", "10.202.1.0/24"]],
      ["show-route-protocol", ["show", "route", "protocol", "p2"]],
      ["show-route-table", ["show", "route", "table", "ipv4"]],
      ["show-route-all", ["show", "route", "all", "for", "10.202.0.1"]],
      ["show-route-count", ["show", "route", "count"]],
      ["show-route-best", ["show", "route", "best"]],
      ["show-route-multipath", ["show", "route", "multipath"]],
      ["show-bfd-sessions", ["show", "bfd", "sessions"]],
      ["show-kernel", ["show", "kernel"]],
    ];
    for (const [name, words] of cases) {
      it(`${words.join(" ")} (text and --json)`, async () => {
        const text = await flatroutec(...words);
        assert.equal(text.code, 0, text.stderr);
        assert.equal(text.stderr, "");
        assertGolden(`${name}.txt`, normalizeText(text.stdout, volatile));
        assertGolden(`${name}.json`, normalizeJson(await json(...words), volatile));
      });
    }

    it("abbreviations give the same output as the full words", async () => {
      const full = await flatroutec("show", "route", "for", "10.202.1.130");
      const short = await flatroutec("sh", "ro", "fo", "10.202.1.130");
      assert.equal(normalizeText(short.stdout, volatile), normalizeText(full.stdout, volatile));
    });

    it("errors are clear and exit non-zero", async () => {
      const unknown = await flatroutec("show", "protocols", "all", "foo");
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, 'flatroutec: unknown protocol "foo"\n');
      const ambiguous = await flatroutec("re", "p1");
      assert.equal(ambiguous.code, 2);
      assert.equal(ambiguous.stderr, 'flatroutec: "re" is ambiguous: restart, reload\n');
      const away = await run(
        process.execPath,
        [FLATROUTEC, "-s", lab.path("nothing.sock"), "show", "status"],
        {
          allowFail: true,
        },
      );
      assert.equal(away.code, 3);
      assert.equal(
        away.stderr,
        `flatroutec: cannot reach flatroute at ${lab.path("nothing.sock")}: is the agent running?\n`,
      );
    });
  });

  describe("interactive, reload and shutdown", () => {
    it("completes the agent's peer names at the interactive prompt", async () => {
      const t = new PtySession([process.execPath, FLATROUTEC, "-s", agent.socket], {
        ...process.env,
        FLATROUTEC_HISTORY: lab.path("flatroutec_history"),
      });
      try {
        await t.expect(`flatroute ${VERSION} ready.`);
        await t.expect("flatroute> ");
        t.send(`sh pro al${KEY.tab}`);
        await t.expectLine("flatroute> sh pro all ");
        // Peer names come from the agent; a full name gets its trailing space.
        t.send(`p1${KEY.tab}`);
        await t.expectLine("flatroute> sh pro all p1 ");
        t.send(KEY.enter);
        await t.expect(/Neighbor AS: +65002/);
        await t.expect("flatroute> ");
        t.send(`quit${KEY.enter}`);
        assert.equal(await t.finish(), 0);
      } finally {
        t.kill();
      }
    });

    it("reload: adds p3, removes p2 with a Cease, leaves p1 untouched on both sides", async () => {
      const before = (await protocols()).find((p) => p.name === "p1")!;
      const birdBefore = await birdRow("p1");
      assert.match(birdBefore, /\bup\b.*Established/);

      agent.writeConfig(agentConfig(["p1", "p3"]));
      const r = await flatroutec("configure");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Reading configuration from ${agent.configFile}\nReconfigured\n`);

      await established(["p3"]);
      // BIRD saw p2 go with our Cease (peer de-configured).
      await waitFor(() => birdRow("p2"), {
        timeoutMs: 10_000,
        what: "BIRD n_p2 to report our Cease",
        until: (row) => /Received: Peer de-configured/.test(row),
      });
      const after = await protocols();
      assert.deepEqual(
        after.map((p) => p.name),
        ["p1", "p3"],
      );
      const p1 = after.find((p) => p.name === "p1")!;
      assert.equal(p1.bgpState, "Established");
      assert.equal(p1.since, before.since, "p1's session was reset by the reload");
      // BIRD's Since column for n_p1 is the same: its session never went down.
      const birdAfter = await birdRow("p1");
      assert.ok(
        sameBirdSession(birdAfter, birdBefore),
        `BIRD's n_p1 was reset: ${birdBefore} -> ${birdAfter}`,
      );
      await holdsFor(() => birdRow("p1"), {
        windowMs: 2_000,
        what: "BIRD's n_p1 row unchanged after the reload",
        holds: (row) => sameBirdSession(row, birdBefore),
      });

      const e = await scrape();
      assert.equal(sample(e, "flatroute_config_reloads_total"), 1);
      assert.equal(sample(e, "flatroute_config_last_reload_success"), 1);
      assert.equal(
        sample(e, "flatroute_bgp_session_state", { peer: "p2", peer_address: PAIRS.p2.right }),
        undefined,
      );
      assert.equal(sample(e, "flatroute_bgp_session_state", { peer: "p3", peer_address: PAIRS.p3.right }), 1);
      const status = await flatroutec("show", "status");
      assert.match(status.stdout, /^Last reconfiguration on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/m);
      assert.match(status.stdout, /^Reloads: 1, the last one succeeded at /m);
    });

    it("disable (with a message), enable, restart and reload act on BIRD's session", async () => {
      const off = await json<{ message: string }>("disable", "p3", "maintenance window");
      assert.deepEqual(off, { message: "p3: disabled" });
      // BIRD logs the Cease with its RFC 9003 shutdown communication.
      await waitFor(() => bird.process.log(), {
        timeoutMs: 10_000,
        what: "BIRD to log our administrative shutdown with the message",
        until: (log) => log.includes('n_p3: Received: Administrative shutdown: "maintenance window"'),
      });
      const down = (await protocols()).find((p) => p.name === "p3")!;
      assert.equal(down.state, "down");
      assert.match((await flatroutec("show", "protocols", "p3")).stdout, /^p3 +BGP +--- +down /m);

      assert.deepEqual(await json("enable", "p3"), { message: "p3: enabled" });
      await established(["p3"]);

      const upSince = (await protocols()).find((p) => p.name === "p3")!.since;
      assert.deepEqual(await json("restart", "p3"), { message: "p3: restarted" });
      await waitFor(async () => (await protocols()).find((p) => p.name === "p3")!, {
        timeoutMs: SESSION_TIMEOUT_MS,
        what: "p3 Established again after the restart",
        until: (p) => p.bgpState === "Established" && p.since !== upSince,
      });
      await established(["p3"]);

      // A route refresh makes BIRD send its routes again on the same session.
      const p1 = (await protocols()).find((p) => p.name === "p1")!;
      assert.deepEqual(await json("reload", "p1"), { message: "p1: reloading" });
      const refreshed = await waitFor(async () => (await protocols()).find((p) => p.name === "p1")!, {
        timeoutMs: 10_000,
        what: "BIRD's UPDATEs answering our ROUTE-REFRESH",
        until: (p) => p.messages.updatesIn > p1.messages.updatesIn,
      });
      assert.equal(refreshed.since, p1.since);
      assert.equal(refreshed.routes.imported, BIRD_ROUTES.length);
    });

    it("rejects a bad config with the reason (configure, configure check, SIGHUP) and keeps the running one", async () => {
      const before = await protocols();
      const birdBefore = await birdRow("p1");
      agent.writeConfigText(
        `routerId: ${PAIRS.p1.left}\nasn: ${AGENT_ASN}\npeers:\n  - {name: p1, address: ${PAIRS.p1.right}, asn: abc}\n`,
      );
      const expected = `${agent.configFile}: peers[0].asn: expected an integer 1..4294967295, got "abc"`;

      const check = await flatroutec("configure", "check");
      assert.equal(check.code, 1);
      assert.equal(check.stderr, `flatroutec: ${expected}\n`);
      const apply = await flatroutec("configure");
      assert.equal(apply.code, 1);
      assert.equal(apply.stderr, `flatroutec: ${expected}\n`);

      agent.process.signal("SIGHUP");
      const rejected = await waitFor(
        () => agentLogLines().filter((l) => l.msg === "configuration rejected; keeping the running one"),
        { timeoutMs: 10_000, what: "two rejections in the log", until: (l) => l.length === 2 },
      );
      assert.deepEqual(rejected[1]!.problems, [expected.slice(`${agent.configFile}: `.length)]);

      const after = await protocols();
      assert.deepEqual(
        after.map((p) => [p.name, p.bgpState, p.since]),
        before.map((p) => [p.name, p.bgpState, p.since]),
      );
      const birdAfter = await birdRow("p1");
      assert.ok(
        sameBirdSession(birdAfter, birdBefore),
        `BIRD's n_p1 was reset: ${birdBefore} -> ${birdAfter}`,
      );
      const e = await scrape();
      assert.equal(sample(e, "flatroute_config_reloads_total"), 3);
      assert.equal(sample(e, "flatroute_config_last_reload_success"), 0);
      const status = await json<{ reloads: { count: number; lastSuccess: boolean; lastError: string } }>(
        "show",
        "status",
      );
      assert.deepEqual(
        { ...status.reloads, lastAttempt: undefined },
        {
          count: 3,
          lastSuccess: false,
          lastError: expected,
          lastAttempt: undefined,
        },
      );
    });

    it("SIGTERM (graceful restart on) closes every BIRD session without a NOTIFICATION and exits within 5 s", async () => {
      const started = Date.now();
      agent.process.signal("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const exitedInTime = await Promise.race([
        agent.process.exited.then(() => true),
        new Promise<false>((r) => {
          timer = setTimeout(() => r(false), 5_000);
        }),
      ]);
      clearTimeout(timer);
      assert.ok(exitedInTime, "the agent was still running 5 s after SIGTERM");
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 5_000, `shutdown took ${tookMs} ms`);
      assert.equal(agent.process.exitStatus, "exited with 0");
      // A stop with graceful restart is a restart: BIRD 2.0 has no RFC 8538 N bit, so a Cease would end
      // its helper role; the bare TCP close keeps it (test/interop/gr-zero-loss.test.ts measures the traffic).
      const log = agent.process.log();
      for (const p of ["p1", "p3"]) {
        assert.match(log, new RegExp(`"peer":"${p}".*"msg":"closed: TCP close without NOTIFICATION`));
      }
      for (const p of ["p1", "p3"] as const) assert.doesNotMatch(await birdRow(p), /Established/);
    });
  });
});
