// kubectl against the fake API server. Only flags both kubectl 1.20 (Debian's
// kubernetes-client) and current releases know are used. kubectl sends
// kubeconfig credentials only over TLS, so it is pointed at httpsUrl, and
// create/apply run with --validate=false because no OpenAPI document is served.
// KUBECTL=/path/to/kubectl picks another binary.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { FakeApiServer } from "../../support/fake-apiserver";
import { GROUP, node, statusCrd, tempDir, VERSION, widgetCrd } from "../../support/fake-apiserver/fixtures";

function findKubectl(): string | undefined {
  const explicit = process.env["KUBECTL"];
  const candidates = explicit
    ? [explicit]
    : (process.env["PATH"] ?? "").split(delimiter).map((d) => join(d, "kubectl"));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("kubectl against the fake API server", function () {
  this.timeout(30_000);
  let kubectl: string;
  let api: FakeApiServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let kubeconfig: string;

  function run(...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        kubectl,
        ["--kubeconfig", kubeconfig, "--cache-dir", join(dir.path, "cache"), ...args],
        { timeout: 20_000, env: { ...process.env, HOME: dir.path, KUBECONFIG: kubeconfig } },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function ok(...args: string[]): Promise<string> {
    const r = await run(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  async function file(name: string, content: unknown): Promise<string> {
    const path = join(dir.path, name);
    await writeFile(path, JSON.stringify(content, null, 2));
    return path;
  }

  /** kubectl's table as rows of cells (columns are separated by at least 3 spaces). */
  function table(text: string): string[][] {
    return text
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s{3,}/));
  }

  before(async () => {
    const found = findKubectl();
    if (found === undefined) {
      throw new Error(
        "kubectl not found on PATH (install Debian's kubernetes-client, or set KUBECTL=/path/to/kubectl)",
      );
    }
    kubectl = found;
  });

  beforeEach(async () => {
    dir = await tempDir();
    api = await FakeApiServer.start();
    kubeconfig = join(dir.path, "kubeconfig");
    await api.writeKubeconfig(kubeconfig, { server: api.httpsUrl });
    api.create(node("node1", { "node-role.kubernetes.io/control-plane": "" }));
  });

  afterEach(async () => {
    await api.stop();
    await dir.remove();
  });

  it("get nodes prints the server's table", async () => {
    const rows = table(await ok("get", "nodes"));
    assert.deepEqual(rows[0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      [rows[1]![0], rows[1]![1], rows[1]![2], rows[1]![4]],
      ["node1", "Ready", "control-plane", "v1.31.0"],
    );
    assert.match(rows[1]![3]!, /^\d+s$/);
    assert.ok(api.calls.some((x) => x.verb === "list" && x.resource === "nodes" && x.user === "admin"));
  });

  it("get nodes -o json prints a List of full objects", async () => {
    const list = JSON.parse(await ok("get", "nodes", "-o", "json")) as {
      kind: string;
      items: Array<{
        kind: string;
        metadata: { name: string; uid: string };
        status: { addresses: unknown[] };
      }>;
    };
    assert.equal(list.kind, "List");
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ["node1"],
    );
    assert.equal(list.items[0]!.kind, "Node");
    assert.equal(list.items[0]!.metadata.uid, api.get("v1", "Node", "node1")?.metadata.uid);
  });

  it("applies a CRD, then a custom resource, and prints its printer columns", async () => {
    const crd = await file("crd.json", statusCrd());
    assert.match(
      await ok("apply", "--validate=false", "-f", crd),
      /bgpnodestatuses\.bgp\.flatroute\.io created/,
    );
    const cr = await file("cr.json", {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "BGPNodeStatus",
      metadata: { name: "node1" },
      spec: {},
    });
    assert.match(
      await ok("apply", "--validate=false", "-f", cr),
      /bgpnodestatus\.bgp\.flatroute\.io\/node1 created/,
    );
    api.patchStatus(`${GROUP}/${VERSION}`, "BGPNodeStatus", "node1", { sessions: "2/3", asn: 64512 });
    const rows = table(await ok("get", "bgpnodestatuses"));
    assert.deepEqual(rows[0], ["NAME", "SESSIONS", "ASN", "AGE"]);
    assert.deepEqual(rows[1]!.slice(0, 3), ["node1", "2/3", "64512"]);
    const short = table(await ok("get", "bgpns", "node1"));
    assert.equal(short[1]![0], "node1");
    // applying again with a change goes through a merge patch
    await writeFile(
      cr,
      JSON.stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "BGPNodeStatus",
        metadata: { name: "node1", labels: { a: "b" } },
        spec: {},
      }),
    );
    assert.match(await ok("apply", "--validate=false", "-f", cr), /configured/);
    assert.equal(api.get(`${GROUP}/${VERSION}`, "BGPNodeStatus", "node1")?.metadata.labels?.["a"], "b");
    assert.equal(table(await ok("get", "crd"))[1]![0], `bgpnodestatuses.${GROUP}`);
  });

  it("creates a namespace, a secret and a configmap with kubectl's generators", async () => {
    // kubectl >= 1.32 sends these as protobuf
    await ok("create", "namespace", "tools");
    await ok("create", "secret", "generic", "mesh", "-n", "tools", "--from-literal=password=s3cret");
    await ok("create", "configmap", "cfg", "-n", "tools", "--from-literal=k=v");
    const secret = api.get("v1", "Secret", "mesh", "tools");
    assert.equal(
      Buffer.from(
        String((secret?.["data"] as Record<string, string> | undefined)?.["password"]),
        "base64",
      ).toString(),
      "s3cret",
    );
    assert.equal(secret?.["type"], "Opaque");
    assert.deepEqual(api.get("v1", "ConfigMap", "cfg", "tools")?.["data"], { k: "v" });
    assert.deepEqual(api.get("v1", "Namespace", "tools")?.["spec"], { finalizers: ["kubernetes"] });
    const rows = table(await ok("get", "secrets", "-n", "tools"));
    assert.deepEqual(rows[0], ["NAME", "TYPE", "DATA", "AGE"]);
    assert.deepEqual(rows[1]!.slice(0, 3), ["mesh", "Opaque", "1"]);
  });

  it("creates namespaced custom resources and deletes them", async () => {
    await ok("create", "--validate=false", "-f", await file("crd.json", widgetCrd()));
    await ok(
      "create",
      "--validate=false",
      "-f",
      await file("ns.json", { apiVersion: "v1", kind: "Namespace", metadata: { name: "tools" } }),
    );
    await ok(
      "create",
      "--validate=false",
      "-n",
      "tools",
      "-f",
      await file("w.json", { apiVersion: "example.io/v1", kind: "Widget", metadata: { name: "w1" } }),
    );
    const rows = table(await ok("get", "widgets", "-n", "tools"));
    assert.deepEqual(rows[0], ["NAME", "AGE"]);
    assert.equal(rows[1]![0], "w1");
    assert.match(await ok("delete", "widget", "w1", "-n", "tools"), /widget\.example\.io "w1" deleted/);
    assert.equal(api.get("example.io/v1", "Widget", "w1", "tools"), undefined);
    const empty = await run("get", "widgets", "-n", "tools");
    assert.equal(empty.code, 0);
    assert.match(empty.stderr, /No resources found/);
  });

  it("labels and annotates a node, and removes both", async () => {
    await ok("label", "node", "node1", "rack=r1");
    await ok("annotate", "node", "node1", `${GROUP}/asn=65001`);
    let n = api.get("v1", "Node", "node1");
    assert.equal(n?.metadata.labels?.["rack"], "r1");
    assert.equal(n?.metadata.annotations?.[`${GROUP}/asn`], "65001");
    await ok("label", "node", "node1", "rack=r2", "--overwrite");
    await ok("label", "node", "node1", "rack-");
    await ok("annotate", "node", "node1", `${GROUP}/asn-`);
    n = api.get("v1", "Node", "node1");
    assert.equal(n?.metadata.labels?.["rack"], undefined);
    assert.equal(n?.metadata.annotations?.[`${GROUP}/asn`], undefined);
    assert.ok(api.calls.some((x) => x.verb === "patch" && x.resource === "nodes" && x.name === "node1"));
    const shown = table(await ok("get", "nodes", "-l", "node-role.kubernetes.io/control-plane"));
    assert.equal(shown[1]![0], "node1");
  });

  it("deletes a node", async () => {
    assert.match(await ok("delete", "node", "node1"), /node "node1" deleted/);
    assert.equal(api.get("v1", "Node", "node1"), undefined);
  });

  it("is refused without credentials", async () => {
    await api.writeKubeconfig(kubeconfig, { server: api.httpsUrl, user: "nobody", token: "bad" });
    const r = await run("get", "nodes");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized|provide credentials|logged in/);
  });
});
