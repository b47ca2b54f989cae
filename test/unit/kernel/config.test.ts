import assert from "node:assert/strict";
import { ConfigError, parseConfigText } from "../../../src/config/load";
import { KERNEL_DEFAULTS } from "../../../src/kernel/agent-fib";

const BASE = "routerId: 10.0.0.1\nasn: 65001\n";
const where = { file: "test.yaml", baseDir: "/tmp" };

describe("config: kernel section", () => {
  it("defaults to the main table, proto 186, metric 20, blackholes, 120 s", async () => {
    const c = await parseConfigText(BASE, where);
    assert.deepEqual(c.kernel, KERNEL_DEFAULTS);
  });

  it("takes every key", async () => {
    const c = await parseConfigText(
      `${BASE}kernel: {enabled: false, table: 100, protocol: 200, metric: 5, localRoutes: unreachable, localMetric: 9000, staleTimeout: 30}\n`,
      where,
    );
    assert.deepEqual(c.kernel, {
      enabled: false,
      table: 100,
      protocol: 200,
      metric: 5,
      localRoutes: "unreachable",
      localMetric: 9000,
      staleTimeoutSeconds: 30,
    });
  });

  it("names the key and what it expected", async () => {
    await assert.rejects(
      parseConfigText(`${BASE}kernel: {protocol: 300, localRoute: blackhole}\n`, where),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.some((p) => p.includes("kernel.protocol") && p.includes("1..255")) &&
        e.problems.some((p) => p.includes("localRoute")),
    );
  });
});
