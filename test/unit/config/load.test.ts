import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Afi, Safi } from "../../../src/bgp/codec/types";
import { formatPrefix } from "../../../src/bgp/prefix";
import { ConfigError, loadConfigFile, parseConfigText } from "../../../src/config/load";

// dist/test/unit/config -> repository root
const REPO = resolve(__dirname, "../../../..");

function parse(text: string, baseDir = tmpdir()) {
  return parseConfigText(text, { file: "config.yaml", baseDir });
}

async function problemsOf(text: string, baseDir?: string): Promise<string[]> {
  try {
    await parse(text, baseDir);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.equal(e.message, e.problems.map((p) => `config.yaml: ${p}`).join("\n"));
    return e.problems;
  }
  assert.fail("config was accepted");
}

const BASE = "routerId: 10.0.0.1\nasn: 65001\n";

describe("config loading", () => {
  it("validates every example file in config/", async () => {
    const files = (await readdir(join(REPO, "config"))).filter((f) => f.endsWith(".yaml"));
    assert.ok(files.length > 0, "no example config files found");
    for (const f of files) {
      const cfg = await loadConfigFile(join(REPO, "config", f));
      assert.ok(cfg.speaker.peers.length > 0, `${f} has no peers`);
    }
  });

  it("reads the metrics endpoint settings and checks them", async () => {
    const cfg = await parse(`${BASE}metrics: {address: "::", port: 0}\n`);
    assert.deepEqual(cfg.metrics, { enabled: true, address: "::", port: 0 });
    assert.deepEqual((await parse(`${BASE}metrics: {enabled: false}\n`)).metrics, {
      enabled: false,
      address: "0.0.0.0",
      port: 9179,
    });
    assert.deepEqual(await problemsOf(`${BASE}metrics: {adress: 1.2.3.4}\n`), [
      'metrics.adress: unknown key (did you mean "address"?)',
    ]);
    assert.deepEqual(await problemsOf(`${BASE}metrics: {address: localhost, port: 70000}\n`), [
      'metrics.address: expected an IPv4 or IPv6 address, got "localhost"',
      "metrics.port: expected an integer 0..65535, got 70000",
    ]);
  });

  it("fills in defaults for a minimal file", async () => {
    const cfg = await parse(`${BASE}peers:\n  - {name: tor1, address: "fd00::1", asn: 65000}\n`);
    assert.deepEqual(cfg.speaker.listen, [{ address: "0.0.0.0", port: 179 }]);
    assert.deepEqual(cfg.speaker.gracefulRestart, { enabled: true, restartTime: 120 });
    assert.deepEqual(cfg.log, { level: "info" });
    assert.deepEqual(cfg.control, { socket: "/run/flatroute/flatroute.sock" });
    assert.deepEqual(cfg.metrics, { enabled: true, address: "0.0.0.0", port: 9179 });
    assert.deepEqual(cfg.speaker.prefixes, []);
    const peer = cfg.speaker.peers[0]!;
    assert.deepEqual(peer, {
      name: "tor1",
      address: "fd00::1",
      asn: 65000,
      port: 179,
      holdTime: 90,
      passive: false,
      families: [
        { afi: Afi.IPv4, safi: Safi.Unicast },
        { afi: Afi.IPv6, safi: Safi.Unicast },
      ],
    });
  });

  it("keeps explicit values and allows listen: [] to disable listening", async () => {
    const cfg = await parse(
      `${BASE}listen: []\nprefixes: [10.244.1.0/24, "fd00:1::/64"]\nlog: {level: debug}\n` +
        `control: {socket: /tmp/x.sock}\ngracefulRestart: {enabled: false, restartTime: 30}\n` +
        "peers:\n  - {name: a, address: 10.0.0.2, asn: 65002, port: 1179, holdTime: 0, passive: true," +
        " multihop: 3, families: [ipv6], connectRetryMin: 0.5, connectRetryMax: 5, disabled: true," +
        " password: pw, localAddress: 10.0.0.1}\n",
    );
    assert.deepEqual(cfg.speaker.listen, []);
    assert.deepEqual(cfg.speaker.prefixes.map(formatPrefix), ["10.244.1.0/24", "fd00:1::/64"]);
    assert.equal(cfg.log.level, "debug");
    assert.equal(cfg.control.socket, "/tmp/x.sock");
    assert.deepEqual(cfg.speaker.gracefulRestart, { enabled: false, restartTime: 30 });
    const p = cfg.speaker.peers[0]!;
    assert.equal(p.port, 1179);
    assert.equal(p.holdTime, 0);
    assert.equal(p.passive, true);
    assert.equal(p.multihop, 3);
    assert.deepEqual(p.families, [{ afi: Afi.IPv6, safi: Safi.Unicast }]);
    assert.equal(p.connectRetryMin, 0.5);
    assert.equal(p.connectRetryMax, 5);
    assert.equal(p.disabled, true);
    assert.equal(p.password, "pw");
    assert.equal(p.localAddress, "10.0.0.1");
  });

  it("rejects an unknown key, naming its path and suggesting the right one", async () => {
    const problems = await problemsOf(
      `${BASE}peers:\n  - {name: a, address: 10.0.0.2, asn: 1, pasword: x}\nfoo: 1\n`,
    );
    assert.deepEqual(problems.sort(), [
      "foo: unknown key",
      'peers[0].pasword: unknown key (did you mean "password"?)',
    ]);
  });

  it("rejects a bad ASN with the key path and the value given", async () => {
    const problems = await problemsOf(
      `${BASE}peers:\n  - {name: a, address: 10.0.0.2, asn: 1}\n  - {name: b, address: 10.0.0.3, asn: abc}\n`,
    );
    assert.deepEqual(problems, ['peers[1].asn: expected an integer 1..4294967295, got "abc"']);
    assert.deepEqual(await problemsOf("routerId: 10.0.0.1\nasn: 4294967296\n"), [
      "asn: expected an integer 1..4294967295, got 4294967296",
    ]);
  });

  it("reports missing required keys and every problem at once", async () => {
    const problems = await problemsOf("asn: 0\npeers:\n  - {name: 1bad, address: 10.0.0.300}\n");
    assert.deepEqual(problems.sort(), [
      "asn: expected an integer 1..4294967295, got 0",
      'peers[0].address: expected an IPv4 or IPv6 address, got "10.0.0.300"',
      "peers[0].asn: required",
      'peers[0].name: expected a name of letters, digits, _ and - not starting with a digit, got "1bad"',
      "routerId: required",
    ]);
  });

  it("rejects a prefix with host bits set and suggests the network", async () => {
    assert.deepEqual(await problemsOf(`${BASE}prefixes: [10.244.1.0/24, 10.244.1.1/24]\n`), [
      'prefixes[1]: expected a CIDR prefix: host bits set (did you mean 10.244.1.0/24?), got "10.244.1.1/24"',
    ]);
    assert.deepEqual(await problemsOf(`${BASE}prefixes: [10.0.0.0/40]\n`), [
      'prefixes[0]: expected a CIDR prefix: length must be 0..32, got "10.0.0.0/40"',
    ]);
  });

  it("rejects password together with passwordFile", async () => {
    assert.deepEqual(
      await problemsOf(
        `${BASE}peers:\n  - {name: a, address: 10.0.0.2, asn: 1, password: x, passwordFile: /p}\n`,
      ),
      ["peers[0].passwordFile: cannot be combined with password; keep one of them"],
    );
  });

  it("reads passwordFile relative to the config file and strips the trailing newline", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flatroute-cfg-"));
    try {
      await writeFile(join(dir, "secret"), "hunter2\n");
      await writeFile(
        join(dir, "c.yaml"),
        `${BASE}peers:\n  - {name: a, address: 10.0.0.2, asn: 1, passwordFile: secret}\n`,
      );
      const cfg = await loadConfigFile(join(dir, "c.yaml"));
      assert.equal(cfg.speaker.peers[0]!.password, "hunter2");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names a missing or unreadable passwordFile", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flatroute-cfg-"));
    try {
      const problems = await problemsOf(
        `${BASE}peers:\n  - {name: a, address: 10.0.0.2, asn: 1, passwordFile: nope}\n`,
        dir,
      );
      assert.deepEqual(problems, [
        `peers[0].passwordFile: cannot read password file ${join(dir, "nope")}: ENOENT`,
      ]);
      await writeFile(join(dir, "empty"), "\n");
      await chmod(join(dir, "empty"), 0o600);
      assert.deepEqual(
        await problemsOf(
          `${BASE}peers:\n  - {name: a, address: 10.0.0.2, asn: 1, passwordFile: empty}\n`,
          dir,
        ),
        [`peers[0].passwordFile: password file ${join(dir, "empty")} must hold 1..80 bytes (it holds 0)`],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("checks relationships between keys", async () => {
    const problems = await problemsOf(
      `${BASE}listen: [{address: 0.0.0.0}, {address: 0.0.0.0, port: 179}]\n` +
        "peers:\n" +
        "  - {name: a, address: 10.0.0.2, asn: 1, multihop: 2, ttlSecurity: 1, holdTime: 9, keepalive: 4}\n" +
        '  - {name: a, address: "fd00::2", asn: 1, localAddress: 10.0.0.1, holdTime: 0, keepalive: 1}\n' +
        '  - {name: c, address: "fd00:0::2", asn: 1, connectRetryMin: 90, families: [ipv4, ipv4]}\n',
    );
    assert.deepEqual(problems, [
      'listen[1]: duplicates listen[0], got {"address":"0.0.0.0","port":179}',
      'peers[1].name: duplicates peers[0].name, got "a"',
      'peers[2].address: duplicates peers[1].address, got "fd00:0::2"',
      "peers[0].ttlSecurity: cannot be combined with multihop (TTL security sends with TTL 255)",
      "peers[0].keepalive: expected an integer 1..3 (at most holdTime / 3), got 4",
      "peers[1].keepalive: must be absent when holdTime is 0 (no keepalives), got 1",
      'peers[1].localAddress: expected the same address family as address, got "10.0.0.1"',
      "peers[2].connectRetryMin: connectRetryMin (90) must not exceed connectRetryMax (60)",
      'peers[2].families[1]: duplicates families[0], got "ipv4"',
    ]);
  });

  it("rejects bad hold times, enums and a non-IPv4 router id", async () => {
    const problems = await problemsOf(
      'routerId: "fd00::1"\nasn: 1\nlog: {level: loud}\n' +
        "peers:\n  - {name: a, address: 10.0.0.2, asn: 1, holdTime: 2, families: [ipv5]}\n",
    );
    assert.deepEqual(
      problems.sort(),
      [
        'log.level: expected one of trace, debug, info, warn, error, got "loud"',
        "peers[0].holdTime: expected 0 or an integer 3..65535, got 2",
        'peers[0].families[0]: expected "ipv4" or "ipv6", got "ipv5"',
        'routerId: expected a non-zero IPv4 address in dotted-quad form, got "fd00::1"',
      ].sort(),
    );
  });

  it("rejects a zero router id", async () => {
    assert.deepEqual(await problemsOf("routerId: 0.0.0.0\nasn: 1\n"), [
      'routerId: expected a non-zero IPv4 address in dotted-quad form, got "0.0.0.0"',
    ]);
  });

  it("reports YAML syntax errors with line and column, and empty files", async () => {
    assert.deepEqual(await problemsOf("routerId: 1.2.3.4\nrouterId: 1.2.3.5\n"), [
      "line 2, column 1: Map keys must be unique",
    ]);
    assert.deepEqual(await problemsOf("# nothing\n"), [
      "the file is empty; routerId and asn are required (or kubernetes: {enabled: true})",
    ]);
    assert.deepEqual(await problemsOf("- 1\n"), ["(top level): expected a mapping of settings, got [1]"]);
  });

  it("names an unreadable config file", async () => {
    await assert.rejects(loadConfigFile("/nonexistent/flatroute.yaml"), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^\/nonexistent\/flatroute\.yaml: cannot read config file: ENOENT/);
      return true;
    });
  });
});
