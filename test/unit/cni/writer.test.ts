import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConflist, renderConflist } from "../../../src/cni/conflist";
import type { CniSettings } from "../../../src/cni/settings";
import { CniConfigWriter, NO_POD_CIDR } from "../../../src/cni/writer";
import { waitFor } from "../../lab/wait";

const V4 = "10.244.7.0/24";
const V6 = "fd00:10:244:7::/64";
const CALICO = JSON.stringify({
  cniVersion: "0.3.1",
  name: "k8s-pod-network",
  plugins: [{ type: "calico" }],
});

describe("cni: CniConfigWriter", () => {
  let dir: string;
  let confDir: string;
  let logs: string[];
  const writers: CniConfigWriter[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "flatroute-cni-"));
    confDir = join(dir, "net.d");
    mkdirSync(confDir);
    logs = [];
  });
  afterEach(() => {
    for (const w of writers.splice(0)) w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function writer(over: Partial<CniSettings> = {}, recheckMs = 0): CniConfigWriter {
    const w = new CniConfigWriter(
      {
        confDir,
        fileName: "10-flatroute.conflist",
        networkName: "flatroute",
        bridge: "cni0",
        overwrite: false,
        ...over,
      },
      { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) },
      { recheckMs },
    );
    writers.push(w);
    return w;
  }
  const ours = () => join(confDir, "10-flatroute.conflist");
  const expected = (cidrs: string[]) =>
    renderConflist(buildConflist({ podCidrs: cidrs, networkName: "flatroute", bridge: "cni0" }));

  it("writes no file without a Pod CIDR, and says so", async () => {
    const w = writer();
    assert.equal(w.problem(), NO_POD_CIDR, "before the first update");
    await w.update([]);
    assert.equal(w.problem(), "no Pod CIDR assigned yet");
    assert.throws(() => statSync(ours()), /ENOENT/);
  });

  it("writes the conflist for the Pod CIDRs and reports no problem", async () => {
    const w = writer();
    await w.update([V4, V6]);
    assert.equal(w.problem(), undefined);
    assert.equal(readFileSync(ours(), "utf8"), expected([V4, V6]));
    assert.equal(statSync(ours()).mode & 0o777, 0o644);
    assert.ok(logs.some((l) => l.includes(`wrote ${ours()}`)));
  });

  it("rewrites atomically when the Pod CIDRs change: a new file renamed into place, no temp left", async () => {
    const w = writer();
    await w.update([V4]);
    const before = statSync(ours()).ino;
    await w.update([V4, V6]);
    assert.equal(readFileSync(ours(), "utf8"), expected([V4, V6]));
    assert.notEqual(statSync(ours()).ino, before, "replaced by rename, not rewritten in place");
    assert.deepEqual(readdirSync(confDir), ["10-flatroute.conflist"]);
  });

  it("does not write when the content is unchanged", async () => {
    const w = writer();
    await w.update([V4]);
    const first = statSync(ours());
    const writes = logs.filter((l) => l.includes("wrote")).length;
    await w.update([V4]);
    const second = statSync(ours());
    assert.equal(second.ino, first.ino);
    assert.equal(second.mtimeMs, first.mtimeMs);
    assert.equal(logs.filter((l) => l.includes("wrote")).length, writes);
  });

  it("serializes quick successive updates: the last one wins", async () => {
    const w = writer();
    const a = w.update([V4]);
    const b = w.update([V6]);
    const c = w.update([V4, V6]);
    await Promise.all([a, b, c]);
    assert.equal(readFileSync(ours(), "utf8"), expected([V4, V6]));
  });

  it("leaves a foreign file at our path alone and says how to take over", async () => {
    writeFileSync(ours(), CALICO);
    const w = writer();
    await w.update([V4]);
    assert.equal(readFileSync(ours(), "utf8"), CALICO);
    assert.match(
      w.problem() ?? "",
      /foreign CNI config at .*10-flatroute\.conflist \(network "k8s-pod-network"\)/,
    );
    assert.match(w.problem() ?? "", /cni\.overwrite: true/);
    assert.ok(logs.some((l) => l.startsWith("warn CNI: foreign")));
  });

  it("treats an unreadable file at our path as foreign too", async () => {
    writeFileSync(ours(), "not json");
    const w = writer();
    await w.update([V4]);
    assert.equal(readFileSync(ours(), "utf8"), "not json");
    assert.match(w.problem() ?? "", /not a readable CNI config/);
  });

  it("replaces a foreign file at our path when overwrite is set", async () => {
    writeFileSync(ours(), CALICO);
    const w = writer({ overwrite: true });
    await w.update([V4]);
    assert.equal(readFileSync(ours(), "utf8"), expected([V4]));
    assert.equal(w.problem(), undefined);
    assert.ok(logs.some((l) => l.includes("replacing") && l.includes("k8s-pod-network")));
  });

  it("rewrites a file of ours with other content (our network name)", async () => {
    writeFileSync(ours(), expected([V6]));
    const w = writer();
    await w.update([V4]);
    assert.equal(readFileSync(ours(), "utf8"), expected([V4]));
  });

  it("reports a foreign config that sorts before ours, and deletes nothing", async () => {
    const calico = join(confDir, "05-calico.conflist");
    writeFileSync(calico, CALICO);
    // Sorting after ours, or not a config extension: not in the way.
    writeFileSync(join(confDir, "99-loopback.conf"), "{}");
    writeFileSync(join(confDir, "00-notes.txt"), "x");
    const w = writer();
    await w.update([V4]);
    assert.equal(readFileSync(ours(), "utf8"), expected([V4]), "ours is still written");
    assert.equal(readFileSync(calico, "utf8"), CALICO);
    assert.equal(
      w.problem(),
      `foreign CNI config ${calico} (network "k8s-pod-network") sorts before ours (${ours()}) and the container runtime uses the first; remove it, or set cni.fileName to a name that sorts earlier`,
    );
  });

  it("is not in its own way: a file name sorting before the foreign one clears the problem", async () => {
    writeFileSync(join(confDir, "05-calico.conflist"), CALICO);
    const w = writer({ fileName: "00-flatroute.conflist" });
    await w.update([V4]);
    assert.equal(w.problem(), undefined);
  });

  it("checks again on its own: the problem clears once the foreign file is gone", async () => {
    writeFileSync(ours(), CALICO);
    const w = writer({}, 20);
    await w.update([V4]);
    assert.match(w.problem() ?? "", /foreign/);
    rmSync(ours());
    await waitFor(() => w.problem(), {
      timeoutMs: 5000,
      intervalMs: 10,
      what: "problem to clear",
      until: (p) => p === undefined,
    });
    assert.equal(readFileSync(ours(), "utf8"), expected([V4]));
    assert.ok(logs.some((l) => l.includes("is the node's CNI config")));
  });

  it("reports a Pod CIDR it cannot build a config from, and a write error, without throwing", async () => {
    const w = writer();
    await w.update(["10.244.7.0/31"]);
    assert.match(w.problem() ?? "", /cannot build a CNI config for Pod CIDRs 10\.244\.7\.0\/31: .*too small/);
    // Our path is a directory: reading it fails.
    mkdirSync(ours());
    await w.update([V4]);
    assert.match(w.problem() ?? "", /^cannot write .*10-flatroute\.conflist: EISDIR/);
  });

  it("does not create a missing confDir (nothing would read it) and says so", async () => {
    rmSync(confDir, { recursive: true });
    const w = writer();
    await w.update([V4]);
    assert.equal(
      w.problem(),
      `CNI config directory ${confDir} does not exist (is cni.confDir the container runtime's?)`,
    );
    assert.throws(() => statSync(confDir), /ENOENT/);
  });
});
