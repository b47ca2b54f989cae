// The Kubernetes manifests (manifests/) as kubectl renders them: every object
// against the Kubernetes shapes it uses, and every value the agent depends on
// against the agent's own code (RBAC rules, config loader, ports, socket path,
// namespace, custom resource validation and translation).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import type { PeerConfig } from "../../../src/bgp/config";
import { VERSION } from "../../../src/cli/version";
import { type AgentConfig, parseConfigText } from "../../../src/config/load";
import { DEFAULT_METRICS_PORT } from "../../../src/config/schema";
import { DEFAULT_STALL_THRESHOLD_MS } from "../../../src/control/health";
import { DEFAULT_CONTROL_SOCKET } from "../../../src/control/protocol";
import { resolveNamespace, resolveNodeName } from "../../../src/k8s/client";
import { fileSettingsOf } from "../../../src/k8s/mode";
import { CLUSTER_RULES, NAMESPACE_RULES, type PolicyRule } from "../../../src/k8s/rbac";
import { ANNOTATIONS, CLUSTER_CONFIG_NAME, type Node, type Secret } from "../../../src/k8s/resources";
import { DEFAULT_NAMESPACE } from "../../../src/k8s/settings";
import { type Translation, translate } from "../../../src/k8s/translate";
import { validateBgpConfiguration, validateBgpPeer } from "../../../src/k8s/validate";
import { FakeApiServer, type KubeObject } from "../../support/fake-apiserver";
import { validateCrd } from "../../support/fake-apiserver/crd";
import {
  BUILTIN_KINDS,
  customKind,
  isObject,
  type Json,
  type KindShape,
  objectProblems,
  parseQuantity,
} from "./kube-shapes";
import { findKubectl, kubectlVersion, kustomize } from "./render";

// dist/test/unit/manifests -> repository root
const REPO = resolve(__dirname, "../../../..");
const MANIFESTS = join(REPO, "manifests");

const OVERLAYS = ["mesh", "route-reflectors", "tor"] as const;
type Rendering = "base" | (typeof OVERLAYS)[number];
const RENDERINGS: Rendering[] = ["base", ...OVERLAYS];
const dirOf = (r: Rendering) => (r === "base" ? MANIFESTS : join(MANIFESTS, "overlays", r));

/** What each overlay adds to the base. */
const OVERLAY_OBJECTS: Record<(typeof OVERLAYS)[number], string[]> = {
  mesh: ["BGPConfiguration/default"],
  "route-reflectors": [
    "BGPConfiguration/default",
    "BGPPeer/nodes-to-reflectors",
    "BGPPeer/reflectors-to-all",
  ],
  tor: ["BGPConfiguration/default", "BGPPeer/tor-rack1", "BGPPeer/tor-rack2", "Secret/bgp-passwords"],
};

const BASE_OBJECTS = [
  "ClusterRole/flatroute",
  "ClusterRoleBinding/flatroute",
  "ConfigMap/flatroute-config",
  "CustomResourceDefinition/bgpconfigurations.bgp.flatroute.io",
  "CustomResourceDefinition/bgpnodestatuses.bgp.flatroute.io",
  "CustomResourceDefinition/bgppeers.bgp.flatroute.io",
  "DaemonSet/flatroute",
  "Namespace/flatroute-system",
  "Role/flatroute",
  "RoleBinding/flatroute",
  "ServiceAccount/flatroute",
];

// ---------------------------------------------------------------------------
// Small typed accessors over parsed YAML.

function at(o: unknown, ...path: (string | number)[]): unknown {
  let v: unknown = o;
  for (const p of path) {
    if (typeof p === "number") v = Array.isArray(v) ? v[p] : undefined;
    else v = isObject(v) ? v[p] : undefined;
  }
  return v;
}
const objAt = (o: unknown, ...path: (string | number)[]): Json => {
  const v = at(o, ...path);
  assert.ok(isObject(v), `${path.join(".")}: expected a mapping`);
  return v;
};
const listAt = (o: unknown, ...path: (string | number)[]): Json[] => {
  const v = at(o, ...path) ?? [];
  assert.ok(Array.isArray(v), `${path.join(".")}: expected a list`);
  return v.filter(isObject);
};
const strAt = (o: unknown, ...path: (string | number)[]): string => {
  const v = at(o, ...path);
  assert.equal(typeof v, "string", `${path.join(".")}: expected a string`);
  return v as string;
};
const nameOf = (o: Json) => strAt(o, "metadata", "name");
const keyOf = (o: Json) => `${String(o.kind)}/${nameOf(o)}`;

function only(objects: Json[], kind: string): Json {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0] as Json;
}

function readYamlDocs(file: string): Json[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(docs)) assert.fail(`${file}: not a YAML stream`);
  return docs.map((d) => {
    assert.deepEqual(d.errors, [], file);
    const v: unknown = d.toJS();
    assert.ok(isObject(v), file);
    return v;
  });
}

/** A rule with its lists sorted, so rule order and list order do not matter. */
function normalizeRules(rules: readonly PolicyRule[] | Json[]): string[] {
  return rules
    .map((r) => {
      const rule = r as Json;
      const sorted: Record<string, string[]> = {};
      for (const key of ["apiGroups", "resources", "verbs", "resourceNames"]) {
        const v = rule[key];
        if (v !== undefined) sorted[key] = [...(v as string[])].sort();
      }
      assert.deepEqual(
        Object.keys(rule).filter((k) => !(k in sorted)),
        [],
        "a rule field rbac.ts does not have",
      );
      return JSON.stringify(sorted);
    })
    .sort();
}

/** The value of an httpGet port: a number, or the number of the named container port. */
function probePort(container: Json, probe: string): number {
  const port = at(container, probe, "httpGet", "port");
  if (typeof port === "number") return port;
  const named = listAt(container, "ports").find((p) => p.name === port);
  assert.ok(named, `${probe}: no container port named ${String(port)}`);
  return named.containerPort as number;
}

/** The environment the downward API gives the container on node `nodeName`. */
function downwardEnv(ds: Json, container: Json, nodeName: string): Record<string, string> {
  const fields: Record<string, string> = {
    "spec.nodeName": nodeName,
    "metadata.namespace": strAt(ds, "metadata", "namespace"),
  };
  const env: Record<string, string> = {};
  for (const e of listAt(container, "env")) {
    const path = at(e, "valueFrom", "fieldRef", "fieldPath");
    const value = typeof path === "string" ? fields[path] : e.value;
    assert.equal(typeof value, "string", `env ${String(e.name)}: a value this test cannot simulate`);
    env[String(e.name)] = value as string;
  }
  return env;
}

function node(
  name: string,
  ipv4: string,
  podCIDR: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Node {
  return {
    metadata: { name, labels, annotations },
    spec: { podCIDRs: [podCIDR] },
    status: { addresses: [{ type: "InternalIP", address: ipv4 }] },
  };
}

const peerSummary = (p: PeerConfig) => ({
  name: p.name,
  address: p.address,
  asn: p.asn,
  password: p.password,
});

// ---------------------------------------------------------------------------

describe("Kubernetes manifests (kubectl kustomize)", function () {
  this.timeout(60_000);
  const rendered = new Map<Rendering, Json[]>();
  let kubectl = "";
  let version = "";

  // Rendering once here: a missing or failing kubectl fails this hook, and so every test below.
  before(() => {
    kubectl = findKubectl();
    version = kubectlVersion(kubectl);
    for (const r of RENDERINGS) rendered.set(r, kustomize(kubectl, dirOf(r)));
  });

  const objects = (r: Rendering): Json[] => {
    const o = rendered.get(r);
    assert.ok(o, `${r} was not rendered`);
    return o;
  };
  const base = () => objects("base");
  const daemonSet = () => only(base(), "DaemonSet");
  const container = () => {
    const containers = listAt(daemonSet(), "spec", "template", "spec", "containers");
    assert.equal(containers.length, 1);
    return containers[0] as Json;
  };
  const podSpec = () => objAt(daemonSet(), "spec", "template", "spec");
  const volume = (name: string) => {
    const v = listAt(podSpec(), "volumes").find((x) => x.name === name);
    assert.ok(v, `no volume ${name}`);
    return v;
  };
  /** The hostPath volume mounted at `path` in the container, if any. */
  const hostPathMountedAt = (path: string): string | undefined => {
    const mount = listAt(container(), "volumeMounts").find((m) => m.mountPath === path);
    if (mount === undefined) return undefined;
    const hostPath = at(volume(String(mount.name)), "hostPath", "path");
    return typeof hostPath === "string" ? hostPath : undefined;
  };

  let agentConfig: AgentConfig | undefined;
  const config = async (): Promise<AgentConfig> => {
    if (agentConfig) return agentConfig;
    const cm = only(base(), "ConfigMap");
    const key = strAt(volume("config"), "configMap", "items", 0, "key");
    agentConfig = await parseConfigText(strAt(cm, "data", key), {
      file: `ConfigMap ${nameOf(cm)} key ${key}`,
      baseDir: "/etc/flatroute",
    });
    return agentConfig;
  };

  describe("rendering", () => {
    it("renders the base and each overlay (kubectl kustomize, embedded kustomize of this kubectl)", () => {
      for (const r of RENDERINGS) assert.ok(objects(r).length > 0, `${r} with kubectl ${version}`);
    });

    it("the base is the CRDs, Namespace, RBAC, ConfigMap and DaemonSet, each once", () => {
      assert.deepEqual(base().map(keyOf).sort(), BASE_OBJECTS);
    });

    it("manifests/kustomization.yaml holds what the overlays' bases (crds/, base/) hold", () => {
      const parts = [
        ...kustomize(kubectl, join(MANIFESTS, "crds")),
        ...kustomize(kubectl, join(MANIFESTS, "base")),
      ];
      const byKey = (list: Json[]) => new Map(list.map((o) => [keyOf(o), o]));
      assert.deepEqual(byKey(base()), byKey(parts));
    });

    for (const overlay of OVERLAYS) {
      it(`overlays/${overlay} is the base, unchanged, plus ${OVERLAY_OBJECTS[overlay].join(", ")}`, () => {
        const all = objects(overlay);
        const baseKeys = new Set(base().map(keyOf));
        assert.deepEqual(
          all
            .map(keyOf)
            .filter((k) => !baseKeys.has(k))
            .sort(),
          OVERLAY_OBJECTS[overlay],
        );
        for (const o of base()) {
          assert.deepEqual(
            all.find((x) => keyOf(x) === keyOf(o)),
            o,
            `${overlay}: ${keyOf(o)} differs from the base's`,
          );
        }
      });
    }
  });

  describe("object shapes", () => {
    for (const r of RENDERINGS) {
      it(`${r}: every object is a known kind and valid in the shape of its kind`, () => {
        const all = objects(r);
        const custom = new Map<string, KindShape>();
        for (const crd of all.filter((o) => o.kind === "CustomResourceDefinition")) {
          const spec = objAt(crd, "spec");
          for (const v of listAt(spec, "versions")) {
            custom.set(
              `${strAt(spec, "group")}/${strAt(v, "name")} ${strAt(spec, "names", "kind")}`,
              customKind(spec.scope === "Namespaced"),
            );
          }
        }
        const problems: string[] = [];
        const seen = new Set<string>();
        for (const o of all) {
          const id = `${String(o.apiVersion)} ${String(o.kind)}`;
          const shape = BUILTIN_KINDS.get(id) ?? custom.get(id);
          if (shape === undefined) {
            problems.push(`${keyOf(o)}: ${id} is neither a kind this test knows nor defined by a CRD here`);
            continue;
          }
          problems.push(...objectProblems(o, shape));
          const ns = at(o, "metadata", "namespace");
          if (shape.namespaced && ns !== DEFAULT_NAMESPACE)
            problems.push(`${keyOf(o)}: in namespace ${String(ns)}, not the agent's ${DEFAULT_NAMESPACE}`);
          const uid = `${id} ${String(ns)}/${nameOf(o)}`;
          if (seen.has(uid)) problems.push(`${keyOf(o)}: twice`);
          seen.add(uid);
        }
        assert.deepEqual(problems, []);
      });
    }

    it("the validators catch what the API server would refuse", () => {
      const ds = structuredClone(daemonSet());
      const tpl = objAt(ds, "spec", "template");
      objAt(tpl, "metadata", "labels")["app.kubernetes.io/name"] = "other";
      const c = objAt(tpl, "spec", "containers", 0);
      (at(c, "volumeMounts") as Json[]).push({ name: "missing", mountPath: "/x" });
      objAt(c, "env", 0, "valueFrom", "fieldRef").fieldPath = "spec.hostname";
      objAt(c, "readinessProbe", "httpGet").port = "nope";
      c.imagePullPolicy = "Sometimes";
      // A misspelt key, which the API server's strict field validation refuses.
      objAt(c, "securityContext").capabilites = { add: ["NET_ADMIN"] };
      const lines = objectProblems(ds, BUILTIN_KINDS.get("apps/v1 DaemonSet") as KindShape).join("\n");
      for (const expected of [
        "imagePullPolicy: expected one of",
        "fieldPath: expected a downward API field path",
        "securityContext.capabilites: unknown field",
        "selector: does not match the template's labels",
        "volumeMounts: no volume named missing",
        "readinessProbe: no container port named nope",
      ]) {
        assert.ok(lines.includes(expected), `missing "${expected}" in:\n${lines}`);
      }

      const role = structuredClone(only(base(), "Role"));
      objAt(role, "rules", 0).verbs = ["read"];
      delete objAt(role, "metadata").namespace;
      const roleLines = objectProblems(
        role,
        BUILTIN_KINDS.get("rbac.authorization.k8s.io/v1 Role") as KindShape,
      );
      assert.equal(roleLines.length, 2, roleLines.join("\n"));
    });
  });

  describe("custom resource definitions", () => {
    it("the rendered CRDs are the files in manifests/crds, each accepted as a CRD", () => {
      const dir = join(MANIFESTS, "crds");
      const files = readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .flatMap((f) => readYamlDocs(join(dir, f)));
      for (const r of RENDERINGS) {
        const crds = objects(r).filter((o) => o.kind === "CustomResourceDefinition");
        const byName = (list: Json[]) => new Map(list.map((o) => [nameOf(o), o]));
        assert.deepEqual(byName(crds), byName(files), r);
      }
      // Structural schemas, CEL rules and printer columns: test/unit/k8s/crds.test.ts, on these files.
      for (const crd of files) validateCrd(structuredClone(crd) as unknown as KubeObject);
    });
  });

  describe("RBAC", () => {
    it("one ServiceAccount: the DaemonSet's, and the subject of both bindings", () => {
      const sa = only(base(), "ServiceAccount");
      assert.equal(strAt(podSpec(), "serviceAccountName"), nameOf(sa));
      for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
        assert.deepEqual(
          listAt(only(base(), kind), "subjects"),
          [{ kind: "ServiceAccount", name: nameOf(sa), namespace: strAt(sa, "metadata", "namespace") }],
          kind,
        );
      }
      assert.equal(strAt(sa, "metadata", "namespace"), strAt(daemonSet(), "metadata", "namespace"));
    });

    it("the bindings grant the ClusterRole and the Role of these manifests", () => {
      const crb = only(base(), "ClusterRoleBinding");
      assert.deepEqual(objAt(crb, "roleRef"), {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: nameOf(only(base(), "ClusterRole")),
      });
      const rb = only(base(), "RoleBinding");
      const role = only(base(), "Role");
      assert.deepEqual(objAt(rb, "roleRef"), {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: nameOf(role),
      });
      assert.equal(strAt(rb, "metadata", "namespace"), strAt(role, "metadata", "namespace"));
    });

    it("the ClusterRole's rules are src/k8s/rbac.ts CLUSTER_RULES, the Role's NAMESPACE_RULES", () => {
      assert.deepEqual(
        normalizeRules(listAt(only(base(), "ClusterRole"), "rules")),
        normalizeRules(CLUSTER_RULES),
      );
      assert.deepEqual(
        normalizeRules(listAt(only(base(), "Role"), "rules")),
        normalizeRules(NAMESPACE_RULES),
      );
    });

    it("the Role is where the agent reads Secrets: the namespace it resolves in the pod", async () => {
      const env = downwardEnv(daemonSet(), container(), "node-a");
      const k8s = (await config()).kubernetes;
      assert.ok(k8s);
      assert.equal(resolveNamespace(k8s, env), strAt(only(base(), "Role"), "metadata", "namespace"));
      assert.equal(resolveNamespace(k8s, env), DEFAULT_NAMESPACE);
    });
  });

  describe("the DaemonSet and the agent", () => {
    it("runs the image's entrypoint with the Dockerfile's arguments, image flatroute:VERSION, no registry", () => {
      const c = container();
      assert.equal(c.command, undefined, "command would replace the entrypoint's node flags");
      assert.equal(c.image, `flatroute:${VERSION}`);
      const dockerfile = readFileSync(join(REPO, "Dockerfile"), "utf8");
      const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile);
      assert.ok(cmd, "Dockerfile: no CMD in exec form");
      assert.deepEqual(c.args, JSON.parse(cmd[1] as string), "args differ from the image's CMD");
      const args = c.args as string[];
      assert.equal(args[0], "agent");
    });

    it("mounts the ConfigMap key as the file --config names, and the agent loads it in Kubernetes mode", async () => {
      const args = container().args as string[];
      const configPath = args[args.indexOf("--config") + 1];
      assert.ok(configPath, "no --config");
      const vol = volume("config");
      assert.equal(strAt(vol, "configMap", "name"), nameOf(only(base(), "ConfigMap")));
      const item = objAt(vol, "configMap", "items", 0);
      const mount = listAt(container(), "volumeMounts").find((m) => m.name === "config");
      assert.ok(mount);
      assert.equal(mount.readOnly, true);
      assert.equal(posix.join(strAt(mount, "mountPath"), strAt(item, "path")), configPath);
      assert.ok(typeof at(only(base(), "ConfigMap"), "data", strAt(item, "key")) === "string");
      const c = await config();
      assert.ok(c.kubernetes, "kubernetes.enabled is not true");
      // Identity and credentials come from the pod, not the shared file.
      assert.equal(c.kubernetes.nodeName, undefined);
      assert.equal(c.kubernetes.namespace, undefined);
      assert.equal(c.kubernetes.kubeconfig, undefined);
      assert.deepEqual(c.explicit, {}, "the file would override the cluster's router ID, ASN, listen or GR");
    });

    it("NODE_NAME and POD_NAMESPACE from the downward API are what the agent resolves", async () => {
      const env = downwardEnv(daemonSet(), container(), "worker-7");
      assert.deepEqual(Object.keys(env).sort(), ["NODE_NAME", "POD_NAMESPACE"]);
      const k8s = (await config()).kubernetes;
      assert.ok(k8s);
      assert.equal(resolveNodeName(k8s, env), "worker-7");
      assert.equal(resolveNamespace(k8s, env), strAt(daemonSet(), "metadata", "namespace"));
    });

    it("probes: /healthz (startup, liveness) and /readyz on the agent's metrics port", async () => {
      const c = await config();
      assert.equal(c.metrics.enabled, true);
      assert.equal(c.metrics.port, DEFAULT_METRICS_PORT);
      // The kubelet probes a host-network pod at the node's address.
      assert.ok(["0.0.0.0", "::"].includes(c.metrics.address), `metrics on ${c.metrics.address} only`);
      const paths: Record<string, string> = {
        startupProbe: "/healthz",
        livenessProbe: "/healthz",
        readinessProbe: "/readyz",
      };
      for (const [probe, path] of Object.entries(paths)) {
        assert.equal(at(container(), probe, "httpGet", "path"), path, probe);
        assert.equal(probePort(container(), probe), DEFAULT_METRICS_PORT, probe);
      }
      const ports = listAt(container(), "ports").map((p) => [p.name, p.containerPort]);
      assert.deepEqual(ports, [
        ["bgp", 179],
        ["metrics", DEFAULT_METRICS_PORT],
      ]);
    });

    it("liveness cannot kill a slow start, nor a short stall", async () => {
      const window = (probe: string) =>
        (at(container(), probe, "periodSeconds") as number) *
        (at(container(), probe, "failureThreshold") as number);
      const k8s = (await config()).kubernetes;
      assert.ok(k8s);
      // The HTTP endpoint opens after the API sync, which may take syncTimeout; then a margin.
      assert.ok(window("startupProbe") * 1000 >= 2 * k8s.syncTimeoutMs, "startup window too short");
      // /healthz fails after a stall of DEFAULT_STALL_THRESHOLD_MS; a restart needs far longer.
      assert.ok(
        window("livenessProbe") * 1000 >= 10 * DEFAULT_STALL_THRESHOLD_MS,
        "liveness window too short",
      );
      assert.ok((at(container(), "livenessProbe", "timeoutSeconds") as number) >= 2);
    });

    it("the control socket's directory is a hostPath at the same path: flatroutec's default works on the node", async () => {
      const c = await config();
      assert.equal(c.control.socket, DEFAULT_CONTROL_SOCKET);
      const dir = dirname(DEFAULT_CONTROL_SOCKET);
      assert.equal(hostPathMountedAt(dir), dir);
      assert.equal(at(volume("run"), "hostPath", "type"), "DirectoryOrCreate");
    });

    it("the CNI config directory the agent writes is a hostPath at the same path; plugin binaries are not mounted", async () => {
      const c = await config();
      const confDir = c.cni?.confDir ?? "/etc/cni/net.d";
      assert.equal(hostPathMountedAt(confDir), confDir);
      const mounts = listAt(container(), "volumeMounts").map((m) => m.mountPath);
      assert.ok(!mounts.includes("/opt/cni/bin"), "the agent installs no CNI plugins");
    });

    it("host network, every node, system-node-critical, one node at a time", () => {
      const spec = podSpec();
      assert.equal(spec.hostNetwork, true);
      assert.equal(spec.dnsPolicy, "ClusterFirstWithHostNet");
      assert.equal(spec.priorityClassName, "system-node-critical");
      // A toleration with only operator Exists tolerates every taint, NoExecute included.
      assert.ok(listAt(spec, "tolerations").some((t) => JSON.stringify(t) === '{"operator":"Exists"}'));
      assert.equal(spec.nodeSelector, undefined, "no node selector: every node");
      assert.deepEqual(objAt(daemonSet(), "spec", "updateStrategy"), {
        type: "RollingUpdate",
        rollingUpdate: { maxUnavailable: 1 },
      });
    });

    it("the termination grace period outlasts the agent's own shutdown deadline", () => {
      const source = readFileSync(join(REPO, "src/cli/flatroute.ts"), "utf8");
      const grace = /const SHUTDOWN_GRACE_MS = ([\d_]+);/.exec(source);
      assert.ok(grace, "SHUTDOWN_GRACE_MS not found in src/cli/flatroute.ts");
      const ms = Number((grace[1] as string).replace(/_/g, ""));
      const seconds = podSpec().terminationGracePeriodSeconds as number;
      assert.ok(seconds * 1000 >= 2 * ms, `${seconds} s against the agent's ${ms} ms`);
    });

    it("root with only the network capabilities, not privileged", () => {
      const sc = objAt(container(), "securityContext");
      assert.equal(sc.privileged, false);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.deepEqual(at(sc, "capabilities", "drop"), ["ALL"]);
      assert.deepEqual([...(at(sc, "capabilities", "add") as string[])].sort(), [
        "NET_ADMIN",
        "NET_BIND_SERVICE",
        "NET_RAW",
      ]);
    });

    it("resources: memory requested and limited with headroom, CPU requested and never limited", () => {
      const r = objAt(container(), "resources");
      const q = (...path: string[]) => {
        const v = at(r, ...path);
        assert.equal(typeof v, "string", path.join("."));
        return parseQuantity(v as string) as number;
      };
      assert.equal(at(r, "limits", "cpu"), undefined, "a CPU limit throttles keepalives");
      assert.ok(q("requests", "cpu") > 0);
      // docs/performance.md: about 67 MB peak idle; the DaemonSet's comment has the measurements.
      assert.ok(q("requests", "memory") >= 100 * 2 ** 20);
      assert.ok(q("limits", "memory") >= 2 * q("requests", "memory"));
    });
  });

  describe("the overlays' custom resources", () => {
    const customResources = (r: Rendering) =>
      objects(r).filter((o) => o.kind === "BGPConfiguration" || o.kind === "BGPPeer");

    for (const overlay of OVERLAYS) {
      it(`${overlay}: every custom resource passes the agent's validation`, () => {
        for (const o of customResources(overlay)) {
          const v = o.kind === "BGPConfiguration" ? validateBgpConfiguration(o) : validateBgpPeer(o);
          assert.deepEqual(v.ok ? [] : v.problems, [], `${overlay}: ${keyOf(o)}`);
          if (o.kind === "BGPConfiguration") assert.equal(nameOf(o), CLUSTER_CONFIG_NAME);
        }
      });

      it(`${overlay}: every password reference names a key of a Secret in the agent's namespace`, () => {
        const secrets = objects(overlay).filter((o) => o.kind === "Secret");
        for (const o of customResources(overlay)) {
          for (const ref of [
            at(o, "spec", "password", "secretKeyRef"),
            at(o, "spec", "meshPassword", "secretKeyRef"),
          ]) {
            if (ref === undefined) continue;
            const secret = secrets.find((s) => nameOf(s) === at(ref, "name"));
            assert.ok(secret, `${keyOf(o)}: no Secret ${String(at(ref, "name"))}`);
            assert.equal(at(secret, "metadata", "namespace"), DEFAULT_NAMESPACE);
            const value = at(secret, "stringData", strAt(ref, "key"));
            assert.ok(typeof value === "string" && value.length >= 1 && Buffer.byteLength(value) <= 80);
          }
        }
      });
    }

    it("route-reflectors: its BGPPeers are manifests/examples/bgppeer-route-reflectors.yaml", () => {
      const example = readYamlDocs(join(MANIFESTS, "examples/bgppeer-route-reflectors.yaml"));
      const peers = objects("route-reflectors").filter((o) => o.kind === "BGPPeer");
      const sorted = (l: Json[]) => [...l].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
      assert.deepEqual(sorted(peers), sorted(example));
      assert.equal(
        at(only(customResources("route-reflectors"), "BGPConfiguration"), "spec", "nodeToNodeMesh"),
        false,
      );
    });

    /** translate() on `nodeName` with the overlay's objects and the ConfigMap's file settings. */
    const translateOn = async (overlay: Rendering, nodes: Node[], nodeName: string): Promise<Translation> => {
      const all = objects(overlay);
      const secrets = new Map(
        all.filter((o) => o.kind === "Secret").map((s) => [nameOf(s), s as unknown as Secret] as const),
      );
      const snapshot = {
        nodes,
        configuration: all.find((o) => o.kind === "BGPConfiguration"),
        peers: all.filter((o) => o.kind === "BGPPeer"),
        secrets,
        crdsInstalled: true,
      };
      const t = translate(snapshot, nodeName, fileSettingsOf(await config()));
      assert.deepEqual(t.problems, [], `${overlay} on ${nodeName}`);
      assert.deepEqual(t.waiting, [], `${overlay} on ${nodeName}`);
      return t;
    };

    it("mesh: every node peers with every other node over iBGP in ASN 64512", async () => {
      const nodes = [1, 2, 3].map((k) => node(`n${k}`, `10.0.0.${k}`, `10.244.${k}.0/24`));
      for (const n of nodes) {
        const t = await translateOn("mesh", nodes, n.metadata.name);
        assert.equal(t.speaker?.asn, 64512);
        assert.deepEqual(
          t.speaker?.peers.map((p) => p.name),
          nodes.map((x) => x.metadata.name).filter((x) => x !== n.metadata.name),
        );
        for (const [, origin] of t.origins) assert.equal(origin.kind, "mesh");
      }
    });

    it("route-reflectors: clients peer only with the reflector, the reflector with every client", async () => {
      const nodes = [
        node(
          "rr1",
          "10.0.0.1",
          "10.244.1.0/24",
          { "route-reflector": "true" },
          {
            [ANNOTATIONS.routeReflectorClusterId]: "10.255.0.1",
          },
        ),
        node("n2", "10.0.0.2", "10.244.2.0/24"),
        node("n3", "10.0.0.3", "10.244.3.0/24"),
      ];
      const onRr = await translateOn("route-reflectors", nodes, "rr1");
      assert.deepEqual(
        onRr.speaker?.peers.map((p) => [p.name, p.routeReflectorClient]),
        [
          ["n2", true],
          ["n3", true],
        ],
      );
      for (const client of ["n2", "n3"]) {
        const t = await translateOn("route-reflectors", nodes, client);
        assert.deepEqual(
          t.speaker?.peers.map((p) => p.name),
          ["rr1"],
        );
      }
    });

    it("tor: each node peers over eBGP with its rack's ToR only, in its rack's ASN, with the password", async () => {
      const rack = (r: string, asn: number) =>
        [{ "topology.flatroute.io/rack": r }, { [ANNOTATIONS.asn]: String(asn) }] as const;
      const nodes = [
        node("a1", "192.0.2.11", "10.244.1.0/24", ...rack("rack1", 65101)),
        node("a2", "192.0.2.12", "10.244.2.0/24", ...rack("rack1", 65101)),
        node("b1", "192.0.2.75", "10.244.3.0/24", ...rack("rack2", 65102)),
      ];
      const expect: Record<string, [number, ReturnType<typeof peerSummary>]> = {
        a1: [65101, { name: "tor-rack1", address: "192.0.2.1", asn: 65001, password: "change-me-rack1" }],
        a2: [65101, { name: "tor-rack1", address: "192.0.2.1", asn: 65001, password: "change-me-rack1" }],
        b1: [65102, { name: "tor-rack2", address: "192.0.2.65", asn: 65002, password: "change-me-rack2" }],
      };
      for (const [name, [asn, peer]] of Object.entries(expect)) {
        const t = await translateOn("tor", nodes, name);
        assert.equal(t.speaker?.asn, asn, name);
        assert.deepEqual(t.speaker?.peers.map(peerSummary), [peer], name);
        assert.equal(t.speaker?.acceptDefaultRouteFromTor, true);
        assert.ok((t.speaker?.clusterCidrs ?? []).length > 0, "the safe import default needs clusterCIDRs");
      }
    });

    it("the BGPConfiguration and BGPPeer examples in docs/kubernetes.md pass the agent's validation", () => {
      const doc = readFileSync(join(REPO, "docs/kubernetes.md"), "utf8");
      const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
      const examples = blocks
        .flatMap((b) => parseAllDocuments(b) as unknown as { toJS(): unknown }[])
        .map((d) => d.toJS())
        .filter(isObject)
        .filter((o) => o.kind === "BGPConfiguration" || o.kind === "BGPPeer");
      assert.ok(examples.length >= 4, `found ${examples.length} examples`);
      for (const o of examples) {
        const v = o.kind === "BGPConfiguration" ? validateBgpConfiguration(o) : validateBgpPeer(o);
        assert.deepEqual(v.ok ? [] : v.problems, [], keyOf(o));
      }
    });
  });

  describe("applied to the fake API server", () => {
    let api: FakeApiServer | undefined;
    before(async () => {
      api = await FakeApiServer.start({ port: 0, httpsPort: null });
    });
    after(async () => {
      await api?.stop();
    });

    // The fake serves namespaces, ConfigMaps, Secrets, CRDs and what they define;
    // RBAC and apps objects are checked by shape above.
    const SERVED = new Set([
      "v1 Namespace",
      "v1 ConfigMap",
      "v1 Secret",
      "apiextensions.k8s.io/v1 CustomResourceDefinition",
    ]);

    for (const r of RENDERINGS) {
      it(`${r}: the objects it serves are accepted and read back, custom resources through their CRDs`, () => {
        assert.ok(api);
        const all = objects(r);
        const definedKinds = new Set<string>();
        for (const crd of all.filter((o) => o.kind === "CustomResourceDefinition")) {
          api.apply(structuredClone(crd) as unknown as KubeObject);
          const spec = objAt(crd, "spec");
          for (const v of listAt(spec, "versions"))
            definedKinds.add(`${strAt(spec, "group")}/${strAt(v, "name")} ${strAt(spec, "names", "kind")}`);
        }
        // Namespaces first, as kubectl apply orders them.
        const rest = all
          .filter((o) => o.kind !== "CustomResourceDefinition")
          .sort((a, b) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"));
        for (const o of rest) {
          const id = `${String(o.apiVersion)} ${String(o.kind)}`;
          if (!SERVED.has(id) && !definedKinds.has(id)) continue;
          api.apply(structuredClone(o) as unknown as KubeObject);
          const ns = at(o, "metadata", "namespace");
          const back = api.get(
            String(o.apiVersion),
            String(o.kind),
            nameOf(o),
            typeof ns === "string" ? ns : undefined,
          );
          assert.ok(back, `${r}: ${keyOf(o)} not stored`);
          if (o.spec !== undefined) assert.deepEqual(back.spec, o.spec, keyOf(o));
        }
      });
    }
  });
});
