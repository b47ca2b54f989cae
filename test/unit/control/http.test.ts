import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { HealthState } from "../../../src/control/health";
import { ControlHttpServer } from "../../../src/control/http";
import { createMetrics } from "../../../src/control/metrics";
import { urlOf } from "./exposition";
import { FakeSpeaker } from "./fake-speaker";

describe("ControlHttpServer", () => {
  const speaker = new FakeSpeaker();
  const { registry } = createMetrics(
    { speaker, reloads: () => ({ count: 0, lastSuccess: true }) },
    { version: "t" },
    { processMetrics: false },
  );
  let health: HealthState;
  let server: ControlHttpServer;

  beforeEach(async () => {
    health = new HealthState({ speaker, loopLag: () => 0 });
    server = await ControlHttpServer.listen({ host: "127.0.0.1", port: 0, registry, health });
  });

  afterEach(async () => {
    await server.close();
    health.close();
  });

  it("answers 404 for any other path", async () => {
    for (const path of ["/", "/metric", "/metrics/extra", "/readyz/", "/debug"]) {
      const res = await fetch(urlOf(server, path));
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), "not found\n");
    }
  });

  it("ignores the query string", async () => {
    const res = await fetch(urlOf(server, "/healthz?verbose=1"));
    assert.equal(res.status, 200);
  });

  it("refuses methods other than GET and HEAD", async () => {
    const res = await fetch(urlOf(server, "/metrics"), { method: "POST", body: "x" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
  });

  it("answers HEAD with headers and no body", async () => {
    const res = await fetch(urlOf(server, "/metrics"), { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(await res.text(), "");
  });

  it("answers 500 with the error when a scrape fails", async () => {
    const failing = createMetrics(
      {
        speaker,
        reloads: () => {
          throw new Error("reload state unavailable");
        },
      },
      { version: "t" },
      { processMetrics: false },
    );
    const s = await ControlHttpServer.listen({
      host: "127.0.0.1",
      port: 0,
      registry: failing.registry,
      health,
    });
    try {
      const res = await fetch(urlOf(s, "/metrics"));
      assert.equal(res.status, 500);
      assert.equal(await res.text(), "reload state unavailable\n");
    } finally {
      await s.close();
    }
  });

  it("reports its bound address and listens on IPv6 loopback too", async () => {
    assert.equal(server.address().address, "127.0.0.1");
    assert.ok(server.address().port > 0);
    const v6 = await ControlHttpServer.listen({ host: "::1", port: 0, registry, health });
    try {
      assert.equal(v6.address().family, "IPv6");
      assert.equal((await fetch(urlOf(v6, "/healthz"))).status, 200);
    } finally {
      await v6.close();
    }
  });

  it("rejects listen() when the port is taken", async () => {
    await assert.rejects(
      ControlHttpServer.listen({ host: "127.0.0.1", port: server.address().port, registry, health }),
      { code: "EADDRINUSE" },
    );
  });

  it("close() does not wait for a client stuck mid-request", async () => {
    const s = await ControlHttpServer.listen({ host: "127.0.0.1", port: 0, registry, health });
    const { port } = s.address();
    const client = connect({ host: "127.0.0.1", port });
    try {
      await once(client, "connect");
      client.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"); // headers never finished
      client.on("error", () => {}); // the server resets it: that is the point
      const closed = new Promise((resolve) => client.on("close", resolve));
      const started = performance.now();
      await s.close();
      // Without closeAllConnections() close() waits for the server's 60 s headers timeout.
      assert.ok(performance.now() - started < 2_000, "close() waited for the unfinished request");
      await closed;
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    } finally {
      client.destroy();
    }
  });
});
