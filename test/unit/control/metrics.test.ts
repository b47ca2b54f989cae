import assert from "node:assert/strict";
import { parsePrefix } from "../../../src/bgp/prefix";
import { RibRouteTable } from "../../../src/bgp/route-table";
import { routeViews } from "../../../src/bgp/route-view";
import { EventLoopWatch } from "../../../src/control/event-loop";
import { HealthState } from "../../../src/control/health";
import { ControlHttpServer } from "../../../src/control/http";
import {
  createMetrics,
  type FibStats,
  type MetricsSource,
  type ReloadStats,
} from "../../../src/control/metrics";
import { waitFor } from "../../lab/wait";
import { announce, makeRib, peerConfig, speakerConfig, upPeer } from "../bgp/rib/harness";
import { type Exposition, parseExposition, pick, seriesKey, urlOf } from "./exposition";
import { FakeSpeaker, peerStatus, route } from "./fake-speaker";

const NOW = Date.parse("2024-05-01T12:00:00.000Z");
const OURS = ["flatroute_bgp_", "flatroute_fib_", "flatroute_config_", "flatroute_build_info"];

function twoPeers(): FakeSpeaker {
  const s = new FakeSpeaker();
  s.peerList = [
    peerStatus({
      name: "tor1",
      address: "192.0.2.11",
      state: "up",
      bgpState: "Established",
      since: "2024-05-01T11:59:00.000Z",
      info: "Established",
      families: ["ipv4", "ipv6"],
      routes: { imported: 3, filtered: 1, exported: 2, received: 9 },
      messages: { updatesIn: 7, updatesOut: 3, notificationsIn: 0, notificationsOut: 1 },
    }),
    peerStatus({
      name: "tor2",
      address: "2001:db8::12",
      bgpState: "Active",
      info: "Socket: Connection refused",
      messages: { updatesIn: 0, updatesOut: 0, notificationsIn: 2, notificationsOut: 0 },
    }),
  ];
  s.routeList = [
    route("tor1", "10.1.0.0/24"),
    route("tor1", "10.1.1.0/24"),
    route("tor1", "2001:db8:1::/64"),
    route("static", "10.244.0.0/24"),
  ];
  return s;
}

describe("metrics over HTTP", () => {
  let speaker: FakeSpeaker;
  let fib: FibStats;
  let reloads: ReloadStats;
  let server: ControlHttpServer | undefined;
  let health: HealthState | undefined;

  async function serve(source: Partial<MetricsSource> = {}): Promise<void> {
    const { registry } = createMetrics(
      { speaker, fib: () => fib, reloads: () => reloads, ...source },
      { version: "1.2.3-test" },
      { now: () => NOW },
    );
    health = new HealthState({ speaker, loopLag: () => 0 });
    server = await ControlHttpServer.listen({ host: "127.0.0.1", port: 0, registry, health });
  }

  function url(path: string): string {
    assert.ok(server, "serve() first");
    return urlOf(server, path);
  }

  async function scrape(): Promise<Exposition & { contentType: string | null }> {
    const res = await fetch(url("/metrics"));
    assert.equal(res.status, 200);
    return { ...parseExposition(await res.text()), contentType: res.headers.get("content-type") };
  }

  beforeEach(() => {
    speaker = twoPeers();
    fib = { installed: 3, errors: 1 };
    reloads = { count: 2, lastSuccess: false, lastTimestamp: Date.parse("2024-05-01T11:00:00.000Z") };
  });

  afterEach(async () => {
    await server?.close();
    health?.close();
    server = undefined;
    health = undefined;
  });

  it("exports exactly the expected series for one Established and one Active peer", async () => {
    await serve();
    const e = await scrape();
    assert.equal(e.contentType, "text/plain; version=0.0.4; charset=utf-8");
    const nodeVersion = process.version;
    assert.deepEqual(pick(e, OURS), {
      'flatroute_bgp_session_state{peer="tor1",peer_address="192.0.2.11"}': 1,
      'flatroute_bgp_session_state{peer="tor2",peer_address="2001:db8::12"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor1",state="Idle"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor1",state="Connect"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor1",state="Active"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor1",state="OpenSent"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor1",state="OpenConfirm"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor1",state="Established"}': 1,
      'flatroute_bgp_session_fsm_state{peer="tor2",state="Idle"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor2",state="Connect"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor2",state="Active"}': 1,
      'flatroute_bgp_session_fsm_state{peer="tor2",state="OpenSent"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor2",state="OpenConfirm"}': 0,
      'flatroute_bgp_session_fsm_state{peer="tor2",state="Established"}': 0,
      'flatroute_bgp_session_uptime_seconds{peer="tor1"}': 60,
      'flatroute_bgp_session_uptime_seconds{peer="tor2"}': 0,
      'flatroute_bgp_prefixes_received_total{peer="tor1"}': 9,
      'flatroute_bgp_prefixes_received_total{peer="tor2"}': 0,
      'flatroute_bgp_prefixes_filtered_total{peer="tor1"}': 1,
      'flatroute_bgp_prefixes_filtered_total{peer="tor2"}': 0,
      'flatroute_bgp_prefixes_accepted{family="ipv4",peer="tor1"}': 2,
      'flatroute_bgp_prefixes_accepted{family="ipv6",peer="tor1"}': 1,
      'flatroute_bgp_prefixes_accepted{family="ipv4",peer="tor2"}': 0,
      'flatroute_bgp_prefixes_advertised{family="all",peer="tor1"}': 2,
      'flatroute_bgp_prefixes_advertised{family="all",peer="tor2"}': 0,
      'flatroute_bgp_updates_received_total{peer="tor1"}': 7,
      'flatroute_bgp_updates_received_total{peer="tor2"}': 0,
      'flatroute_bgp_updates_sent_total{peer="tor1"}': 3,
      'flatroute_bgp_updates_sent_total{peer="tor2"}': 0,
      'flatroute_bgp_notifications_received_total{peer="tor1"}': 0,
      'flatroute_bgp_notifications_received_total{peer="tor2"}': 2,
      'flatroute_bgp_notifications_sent_total{peer="tor1"}': 1,
      'flatroute_bgp_notifications_sent_total{peer="tor2"}': 0,
      flatroute_fib_routes_installed: 3,
      flatroute_fib_errors_total: 1,
      flatroute_config_reloads_total: 2,
      flatroute_config_last_reload_success: 0,
      flatroute_config_last_reload_timestamp_seconds: 1714561200,
      [`flatroute_build_info{node_version="${nodeVersion}",version="1.2.3-test"}`]: 1,
    });
  });

  it("types counters as counters and the rest as gauges", async () => {
    await serve();
    const { types } = await scrape();
    const ours = [...types].filter(([name]) => OURS.some((p) => name.startsWith(p)));
    assert.deepEqual(Object.fromEntries(ours), {
      flatroute_bgp_session_state: "gauge",
      flatroute_bgp_session_fsm_state: "gauge",
      flatroute_bgp_session_uptime_seconds: "gauge",
      flatroute_bgp_prefixes_received_total: "counter",
      flatroute_bgp_prefixes_filtered_total: "counter",
      flatroute_bgp_prefixes_accepted: "gauge",
      flatroute_bgp_prefixes_advertised: "gauge",
      flatroute_bgp_updates_received_total: "counter",
      flatroute_bgp_updates_sent_total: "counter",
      flatroute_bgp_notifications_received_total: "counter",
      flatroute_bgp_notifications_sent_total: "counter",
      flatroute_fib_routes_installed: "gauge",
      flatroute_fib_errors_total: "counter",
      flatroute_config_reloads_total: "counter",
      flatroute_config_last_reload_success: "gauge",
      flatroute_config_last_reload_timestamp_seconds: "gauge",
      flatroute_build_info: "gauge",
    });
  });

  it("includes prom-client's process metrics under the flatroute_ prefix", async () => {
    await serve();
    const { types, samples } = await scrape();
    assert.equal(types.get("flatroute_process_cpu_user_seconds_total"), "counter");
    assert.equal(types.get("flatroute_nodejs_eventloop_lag_seconds"), "gauge");
    assert.ok(samples.has("flatroute_process_start_time_seconds"));
    assert.ok(![...types.keys()].some((n) => n.startsWith("process_")), "nothing unprefixed");
  });

  it("reads the speaker at scrape time: state changes and removed peers show at once", async () => {
    await serve();
    await scrape();
    speaker.establish("tor2", "2024-05-01T11:59:30.000Z");
    speaker.peerList = speaker.peerList.filter((p) => p.name !== "tor1");
    speaker.routeList.push(route("tor2", "10.2.0.0/24"));
    fib.installed = 4;
    reloads = { count: 3, lastSuccess: true, lastTimestamp: Date.parse("2024-05-01T11:30:00.000Z") };

    const e = await scrape();
    const bgp = pick(e, [
      "flatroute_bgp_session_state",
      "flatroute_bgp_session_uptime",
      "flatroute_bgp_prefixes_accepted",
    ]);
    assert.deepEqual(bgp, {
      'flatroute_bgp_session_state{peer="tor2",peer_address="2001:db8::12"}': 1,
      'flatroute_bgp_session_uptime_seconds{peer="tor2"}': 30,
      'flatroute_bgp_prefixes_accepted{family="ipv4",peer="tor2"}': 1,
    });
    assert.equal(e.samples.get('flatroute_bgp_session_fsm_state{peer="tor2",state="Established"}'), 1);
    assert.equal(e.samples.get('flatroute_bgp_session_fsm_state{peer="tor2",state="Active"}'), 0);
    assert.ok(![...e.samples.keys()].some((k) => k.includes('peer="tor1"')), "removed peer leaves no series");
    assert.equal(e.samples.get("flatroute_fib_routes_installed"), 4);
    assert.equal(e.samples.get("flatroute_config_reloads_total"), 3);
    assert.equal(e.samples.get("flatroute_config_last_reload_success"), 1);
    assert.equal(e.samples.get("flatroute_config_last_reload_timestamp_seconds"), 1714563000);
  });

  it("shows a session counter reset as a lower value rather than hiding it", async () => {
    await serve();
    assert.equal((await scrape()).samples.get('flatroute_bgp_updates_received_total{peer="tor1"}'), 7);
    speaker.peer("tor1").messages.updatesIn = 2;
    assert.equal((await scrape()).samples.get('flatroute_bgp_updates_received_total{peer="tor1"}'), 2);
  });

  it("leaves out the FIB series without a FIB source; the reload timestamp is 0 before any reload", async () => {
    reloads = { count: 0, lastSuccess: true };
    await serve({ fib: undefined });
    const e = await scrape();
    assert.deepEqual(pick(e, ["flatroute_fib_", "flatroute_config_"]), {
      flatroute_config_reloads_total: 0,
      flatroute_config_last_reload_success: 1,
      flatroute_config_last_reload_timestamp_seconds: 0,
    });
    assert.equal(e.types.has("flatroute_fib_routes_installed"), false);
  });

  it("keeps registries separate: two instances, nothing in prom-client's global registry", async () => {
    const { register } = await import("prom-client");
    const a = createMetrics({ speaker, reloads: () => reloads }, { version: "a" }, { processMetrics: false });
    const b = createMetrics({ speaker, reloads: () => reloads }, { version: "b" }, { processMetrics: false });
    assert.notEqual(a.registry, b.registry);
    assert.match(await b.registry.metrics(), /flatroute_build_info\{version="b"/);
    assert.equal(register.getSingleMetric("flatroute_bgp_session_state"), undefined);
  });
});

describe("metrics from the RIB's counters", () => {
  it("gives the accepted routes per peer and family a walk of the table counts", async () => {
    const rib = makeRib(speakerConfig({ gracefulRestart: { enabled: true, restartTime: 120 } }));
    try {
      const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
      const b = upPeer(rib, peerConfig("b", "10.1.0.2", 65003), "10.0.0.2");
      announce(rib, a, ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"], { nextHop: "10.1.0.1" });
      announce(rib, b, ["10.1.1.0/24", "10.9.0.0/16"], { nextHop: "10.1.0.2" });
      rib.setOriginated([parsePrefix("10.244.0.0/24")]);
      // a restarts: its routes stay, stale, and one comes back fresh.
      rib.peerDown(a.rib, { keepStale: true });
      announce(rib, a, ["10.1.0.0/24"], { nextHop: "10.1.0.1" });
      const speaker = new FakeSpeaker();
      speaker.peerList = ["a", "b"].map((name) =>
        peerStatus({ name, address: "192.0.2.1", families: ["ipv4"] }),
      );
      const table = new RibRouteTable(rib, new Date());
      const source = Object.assign(speaker, { routeTable: () => table });
      const { registry } = createMetrics(
        { speaker: source, reloads: () => ({ count: 0, lastSuccess: true }) },
        { version: "1" },
        { processMetrics: false },
      );
      const e = parseExposition(await registry.metrics());
      const walked = new Map<string, number>();
      for (const r of routeViews(rib, new Date())) {
        if (r.peer === "static") continue;
        const k = seriesKey("flatroute_bgp_prefixes_accepted", { family: r.family, peer: r.peer });
        walked.set(k, (walked.get(k) ?? 0) + 1);
      }
      const got = pick(e, ["flatroute_bgp_prefixes_accepted"]);
      assert.deepEqual(got, Object.fromEntries(walked));
      assert.equal(got[seriesKey("flatroute_bgp_prefixes_accepted", { family: "ipv4", peer: "a" })], 3);
    } finally {
      rib.stop();
    }
  });

  it("reports the longest event-loop stall of the last minute", async () => {
    const watch = new EventLoopWatch();
    try {
      const { registry } = createMetrics(
        {
          speaker: new FakeSpeaker(),
          reloads: () => ({ count: 0, lastSuccess: true }),
          eventLoop: () => watch.read(),
        },
        { version: "1" },
        { processMetrics: false },
      );
      // Let the monitor tick, then hold the loop for 80 ms.
      await waitFor(() => watch.read().seconds.length, {
        timeoutMs: 5000,
        what: "the monitor",
        until: (n) => n >= 1,
      });
      await new Promise((r) => setTimeout(r, 20));
      const start = Date.now();
      while (Date.now() - start < 80) {
        // busy: the stall being measured
      }
      const seen = await waitFor(() => watch.read().recentMaxDelayMs, {
        timeoutMs: 5000,
        what: "the stall to be recorded",
        until: (ms) => ms >= 60,
      });
      const e = parseExposition(await registry.metrics());
      const metric = pick(e, ["flatroute_event_loop_max_delay_seconds"]);
      assert.ok(Object.values(metric)[0]! >= 0.06, JSON.stringify(metric));
      assert.ok(watch.read().maxDelayMs >= seen);
    } finally {
      watch.stop();
    }
  });
});
