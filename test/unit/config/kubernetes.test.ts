import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { ConfigError, parseConfigText } from "../../../src/config/load";

function parse(text: string) {
  return parseConfigText(text, { file: "config.yaml", baseDir: tmpdir() });
}

async function problemsOf(text: string): Promise<string[]> {
  try {
    await parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail("config was accepted");
}

describe("config: the kubernetes section", () => {
  it("runs a node from only `kubernetes: {enabled: true}`, with documented defaults", async () => {
    const c = await parse("kubernetes: {enabled: true}\n");
    assert.deepEqual(c.kubernetes, {
      status: true,
      statusIntervalMs: 10_000,
      events: true,
      nodeCondition: true,
      networkUnavailableAfterMs: 60_000,
      syncTimeoutMs: 30_000,
      gracefulShutdownOnCordon: false,
    });
    assert.deepEqual(c.explicit, {});
    assert.deepEqual(c.speaker.peers, []);
  });

  it("keeps what the file sets explicitly, for the cluster's values to yield to", async () => {
    const c = await parse(
      "kubernetes: {enabled: true, nodeName: n1, namespace: bgp, networkUnavailableAfter: 0}\n" +
        "asn: 65010\nlisten: [{address: 10.0.0.1}]\ngracefulRestart: {restartTime: 30}\n" +
        "prefixes: [10.250.0.0/24]\n",
    );
    assert.equal(c.kubernetes?.nodeName, "n1");
    assert.equal(c.kubernetes?.namespace, "bgp");
    assert.equal(c.kubernetes?.networkUnavailableAfterMs, 0);
    assert.deepEqual(c.explicit, {
      asn: 65010,
      listen: [{ address: "10.0.0.1", port: 179 }],
      gracefulRestart: { enabled: true, restartTime: 30 },
    });
    assert.equal(c.speaker.prefixes.length, 1);
  });

  it("still requires routerId and asn outside Kubernetes mode", async () => {
    assert.deepEqual(await problemsOf("prefixes: []\n"), ["routerId: required", "asn: required"]);
    assert.deepEqual(await problemsOf("kubernetes: {enabled: false}\n"), [
      "routerId: required",
      "asn: required",
    ]);
  });

  it("rejects unknown and bad keys in the section with the key path", async () => {
    assert.deepEqual(await problemsOf("kubernetes: {enabled: true, nodename: x}\n"), [
      'kubernetes.nodename: unknown key (did you mean "nodeName"?)',
    ]);
    assert.deepEqual(await problemsOf("kubernetes: {enabled: true, namespace: Bad_NS}\n"), [
      'kubernetes.namespace: expected a namespace name, got "Bad_NS"',
    ]);
    assert.deepEqual(await problemsOf("kubernetes: {enabled: true, networkUnavailableAfter: -1}\n"), [
      "kubernetes.networkUnavailableAfter: expected an integer 0..86400, got -1",
    ]);
  });
});

describe("config: the CNI directory", () => {
  it("defaults to /etc/cni/net.d, or $NETCONFPATH when set (the CNI tools' variable)", async () => {
    const saved = process.env.NETCONFPATH;
    try {
      delete process.env.NETCONFPATH;
      assert.equal((await parse("kubernetes: {enabled: true}\n")).cni?.confDir, "/etc/cni/net.d");
      process.env.NETCONFPATH = "/tmp/lab/net.d";
      assert.equal((await parse("kubernetes: {enabled: true}\n")).cni?.confDir, "/tmp/lab/net.d");
      assert.equal((await parse("kubernetes: {enabled: true}\ncni: {confDir: /x}\n")).cni?.confDir, "/x");
    } finally {
      if (saved === undefined) delete process.env.NETCONFPATH;
      else process.env.NETCONFPATH = saved;
    }
  });
});
