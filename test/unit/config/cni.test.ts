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

const KUBE = "kubernetes: {enabled: true}\n";

describe("config: the cni section", () => {
  it("is on by default in Kubernetes mode, with documented defaults", async () => {
    const c = await parse(KUBE);
    assert.deepEqual(c.cni, {
      confDir: "/etc/cni/net.d",
      fileName: "10-flatroute.conflist",
      networkName: "flatroute",
      bridge: "cni0",
      overwrite: false,
    });
  });

  it("takes every key", async () => {
    const c = await parse(
      KUBE +
        "cni: {confDir: /run/cni, fileName: 00-pods.conflist, networkName: pods.v1, bridge: br-pods," +
        " mtu: 8950, ipamDataDir: /var/lib/flatroute/ipam, overwrite: true}\n",
    );
    assert.deepEqual(c.cni, {
      confDir: "/run/cni",
      fileName: "00-pods.conflist",
      networkName: "pods.v1",
      bridge: "br-pods",
      mtu: 8950,
      ipamDataDir: "/var/lib/flatroute/ipam",
      overwrite: true,
    });
  });

  it("is absent when disabled, and outside Kubernetes mode", async () => {
    assert.equal((await parse(`${KUBE}cni: {enabled: false}\n`)).cni, undefined);
    assert.equal((await parse("routerId: 10.0.0.1\nasn: 65001\ncni: {bridge: br0}\n")).cni, undefined);
  });

  it("rejects bad values with the key path", async () => {
    assert.deepEqual(
      await problemsOf(
        KUBE +
          "cni: {enabled: 1, confDir: etc/cni, fileName: 10-flatroute.conf, networkName: -x," +
          " bridge: averyveryverylongname, mtu: 100, ipamDataDir: '', overwrite: yes}\n",
      ),
      [
        "cni.enabled: expected true or false, got 1",
        'cni.confDir: expected an absolute path, got "etc/cni"',
        'cni.fileName: expected a file name ending in .conflist, got "10-flatroute.conf"',
        'cni.networkName: expected a network name of letters, digits, _ . and -, got "-x"',
        'cni.bridge: expected an interface name of at most 15 characters, got "averyveryverylongname"',
        "cni.mtu: expected an integer 576..65535, got 100",
        'cni.ipamDataDir: expected an absolute path, got ""',
        'cni.overwrite: expected true or false, got "yes"',
      ],
    );
  });

  it("rejects a path in fileName and a section that is not a mapping", async () => {
    assert.deepEqual(await problemsOf(`${KUBE}cni: {fileName: ../10-x.conflist}\n`), [
      'cni.fileName: expected a file name ending in .conflist, got "../10-x.conflist"',
    ]);
    assert.deepEqual(await problemsOf(`${KUBE}cni: true\n`), ["cni: expected a mapping, got true"]);
  });

  it("names unknown keys with a hint", async () => {
    assert.deepEqual(await problemsOf(`${KUBE}cni: {bridgee: br0}\n`), [
      'cni.bridgee: unknown key (did you mean "bridge"?)',
    ]);
  });
});
