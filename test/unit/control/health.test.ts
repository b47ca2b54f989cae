import assert from "node:assert/strict";
import { HealthState, LoopDriftMonitor } from "../../../src/control/health";
import { ControlHttpServer } from "../../../src/control/http";
import { createMetrics } from "../../../src/control/metrics";
import { urlOf } from "./exposition";
import { FakeSpeaker, peerStatus } from "./fake-speaker";

async function waitFor(what: string, check: () => boolean, deadlineMs = 5_000): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the point is to block the event loop
  }
}

describe("health endpoints", () => {
  let speaker: FakeSpeaker;
  let health: HealthState;
  let server: ControlHttpServer;
  let lag: number;

  async function get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(urlOf(server, path));
    return { status: res.status, body: await res.text() };
  }

  beforeEach(async () => {
    speaker = new FakeSpeaker();
    speaker.peerList = [
      peerStatus({
        name: "tor1",
        address: "192.0.2.11",
        bgpState: "Active",
        info: "Socket: Connection refused",
      }),
      peerStatus({ name: "tor2", address: "192.0.2.12", bgpState: "OpenSent" }),
    ];
    lag = 0;
    health = new HealthState({ speaker, loopLag: () => lag });
    const { registry } = createMetrics(
      { speaker, reloads: () => ({ count: 0, lastSuccess: true }) },
      { version: "t" },
    );
    server = await ControlHttpServer.listen({ host: "127.0.0.1", port: 0, registry, health });
  });

  afterEach(async () => {
    await server.close();
    health.close();
  });

  it("/readyz goes from 503 with reasons to 200 as config loads and peers become Established", async () => {
    assert.deepEqual(await get("/readyz"), {
      status: 503,
      body:
        "config not loaded\n" +
        "peer tor1 not established: Active (Socket: Connection refused)\n" +
        "peer tor2 not established: OpenSent\n",
    });

    health.configLoaded = true;
    speaker.establish("tor1", "2024-05-01T12:00:00.000Z");
    assert.deepEqual(await get("/readyz"), { status: 503, body: "peer tor2 not established: OpenSent\n" });

    speaker.establish("tor2", "2024-05-01T12:00:01.000Z");
    assert.deepEqual(await get("/readyz"), { status: 200, body: "ok\n" });
  });

  it("/readyz ignores administratively disabled peers and is ready with no peers at all", async () => {
    health.configLoaded = true;
    speaker.establish("tor1", "2024-05-01T12:00:00.000Z");
    Object.assign(speaker.peer("tor2"), { state: "down", bgpState: "Idle", info: "Administratively down" });
    assert.deepEqual(await get("/readyz"), { status: 200, body: "ok\n" });

    speaker.peerList = [];
    assert.deepEqual(await get("/readyz"), { status: 200, body: "ok\n" });
  });

  it("with peers: any (Kubernetes mode) one Established session is enough, none is not", () => {
    const node = new HealthState({ speaker, loopLag: () => 0, peers: "any" });
    try {
      node.configLoaded = true;
      assert.equal(node.readiness().ok, false);
      assert.equal(node.readiness().reasons.length, 2, "every down peer named while none is up");
      speaker.establish("tor1", "2024-05-01T12:00:00.000Z");
      assert.deepEqual(node.readiness(), { ok: true, reasons: [] });
    } finally {
      node.close();
    }
  });

  it("/readyz reports an unsynced FIB", async () => {
    health.configLoaded = true;
    speaker.peerList = [];
    health.fibSynced = false;
    assert.deepEqual(await get("/readyz"), { status: 503, body: "FIB not synced\n" });
  });

  it("/healthz is 200 while the loop keeps up, whatever BGP does, and 503 when it stalls", async () => {
    assert.deepEqual(
      await get("/healthz"),
      { status: 200, body: "ok\n" },
      "peers down do not make the process unhealthy",
    );
    lag = 5_000;
    assert.equal((await get("/healthz")).status, 200, "the threshold itself is still healthy");
    lag = 6_200;
    assert.deepEqual(await get("/healthz"), {
      status: 503,
      body: "event loop stalled: lag 6200 ms > 5000 ms\n",
    });
    lag = 3;
    assert.equal((await get("/healthz")).status, 200);
  });

  it("/healthz is 200 with the real drift monitor", async () => {
    const real = new HealthState({ speaker });
    try {
      assert.deepEqual(real.liveness(), { ok: true, reasons: [] });
    } finally {
      real.close();
    }
  });
});

describe("LoopDriftMonitor", () => {
  it("sees a blocked event loop at once and recovers after it runs again", async () => {
    const m = new LoopDriftMonitor(50);
    try {
      busyWait(300);
      assert.ok(m.lagMs() >= 250, `lag ${m.lagMs()} ms after blocking 300 ms`);
      await waitFor("the lag to clear", () => m.lagMs() < 100);
    } finally {
      m.stop();
    }
  });

  it("drives HealthState liveness", () => {
    const m = new LoopDriftMonitor(50);
    const h = new HealthState({
      speaker: new FakeSpeaker(),
      stallThresholdMs: 200,
      loopLag: () => m.lagMs(),
    });
    try {
      busyWait(300);
      const v = h.liveness();
      assert.equal(v.ok, false);
      assert.match(v.reasons[0], /^event loop stalled: lag \d+ ms > 200 ms$/);
    } finally {
      m.stop();
    }
  });
});
