import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { parsePrefix } from "../../../src/bgp/prefix";
import {
  type BGPNodeStatusStatus,
  GROUP_VERSION,
  type Node,
  PLURALS,
  type Secret,
} from "../../../src/k8s/resources";
import { keyPaths } from "../../../src/k8s/schema-keys";
import { translate } from "../../../src/k8s/translate";
import {
  configurationSpecSchema,
  peerSpecSchema,
  validateBgpConfiguration,
  validateBgpPeer,
} from "../../../src/k8s/validate";

// dist/test/unit/k8s -> repository root
const REPO = resolve(__dirname, "../../../..");
const CRD_DIR = join(REPO, "manifests/crds");
const EXAMPLE_DIR = join(REPO, "manifests/examples");

type Schema = Record<string, unknown>;
type Json = Record<string, unknown>;

function yamlFiles(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  assert.ok(files.length > 0, `no YAML files in ${dir}`);
  return files.map((f) => join(dir, f));
}

function readDocs(file: string): Json[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  if (!Array.isArray(docs)) assert.fail(`${file}: not a YAML stream`);
  return docs.map((d, i) => {
    assert.deepEqual(d.errors, [], `${file} document ${i}`);
    return d.toJS() as Json;
  });
}

const CRDS = new Map<string, Json>();
for (const file of yamlFiles(CRD_DIR)) {
  const docs = readDocs(file);
  assert.equal(docs.length, 1, `${file}: one CustomResourceDefinition per file`);
  const kind = ((docs[0]!.spec as Json).names as Json).kind as string;
  CRDS.set(kind, docs[0]!);
}

function crd(kind: string): Json {
  const c = CRDS.get(kind);
  assert.ok(c, `no CRD for ${kind}`);
  return c;
}

function version(c: Json): Json {
  const versions = (c.spec as Json).versions as Json[];
  assert.equal(versions.length, 1);
  return versions[0]!;
}

function rootSchema(kind: string): Schema {
  return (version(crd(kind)).schema as Json).openAPIV3Schema as Schema;
}

const props = (s: Schema) => (s.properties ?? {}) as Record<string, Schema>;

// ---------------------------------------------------------------------------
// Structural schema rules (apiextensions.k8s.io/v1, "Specifying a structural schema").

const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);
const FORBIDDEN = [
  "$ref",
  "$schema",
  "definitions",
  "dependencies",
  "patternProperties",
  "additionalItems",
  "id",
];
const NOT_IN_LOGIC = ["type", "description", "default", "additionalProperties", "nullable"];

function structuralProblems(s: Schema, path: string, inSpec: boolean): string[] {
  const out: string[] = [];
  const anyValue =
    s["x-kubernetes-preserve-unknown-fields"] === true || s["x-kubernetes-int-or-string"] === true;
  if (s["x-kubernetes-preserve-unknown-fields"] === false) out.push(`${path}: preserve-unknown-fields false`);
  if (s.type === undefined && !anyValue) out.push(`${path}: no type`);
  if (s.type !== undefined && !TYPES.has(s.type as string)) out.push(`${path}: type ${String(s.type)}`);
  for (const key of FORBIDDEN) if (key in s) out.push(`${path}: ${key} is not allowed`);
  if (s.uniqueItems === true) out.push(`${path}: uniqueItems is not allowed`);
  if (s.properties !== undefined && s.additionalProperties !== undefined) {
    out.push(`${path}: properties and additionalProperties together`);
  }
  if ((s.properties !== undefined || s.additionalProperties !== undefined) && s.type !== "object") {
    out.push(`${path}: properties on a non-object`);
  }
  if (s.type === "array" && (s.items === undefined || Array.isArray(s.items)))
    out.push(`${path}: items must be one schema`);
  if (s.items !== undefined && s.type !== "array") out.push(`${path}: items on a non-array`);
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== "object") {
    out.push(`${path}: additionalProperties must be a schema`);
  }
  if (s.default !== undefined) out.push(`${path}: defaults would hide "absent" from the precedence rules`);
  for (const logic of ["allOf", "anyOf", "oneOf", "not"]) {
    const branches = s[logic] === undefined ? [] : logic === "not" ? [s[logic]] : (s[logic] as Schema[]);
    for (const b of branches as Schema[]) {
      for (const key of NOT_IN_LOGIC)
        if (key in b) out.push(`${path}.${logic}: ${key} is not allowed inside`);
    }
  }
  if (inSpec && s.type === "string" && s.enum === undefined && s.maxLength === undefined) {
    out.push(`${path}: a string without maxLength`);
  }
  for (const v of (s["x-kubernetes-validations"] ?? []) as Json[]) {
    if (typeof v.rule !== "string" || typeof v.message !== "string")
      out.push(`${path}: a validation needs rule and message`);
  }
  if (s["x-kubernetes-list-type"] === "map") {
    const required = ((s.items as Schema).required ?? []) as string[];
    for (const key of s["x-kubernetes-list-map-keys"] as string[]) {
      if (!required.includes(key)) out.push(`${path}: list-map key ${key} must be required`);
    }
  }
  for (const [key, child] of Object.entries(props(s)))
    out.push(...structuralProblems(child, `${path}.${key}`, inSpec));
  if (typeof s.additionalProperties === "object") {
    out.push(...structuralProblems(s.additionalProperties as Schema, `${path}{}`, inSpec));
  }
  if (s.items !== undefined && !Array.isArray(s.items))
    out.push(...structuralProblems(s.items as Schema, `${path}[]`, inSpec));
  return out;
}

/** Key paths of a CRD schema in schema-keys.ts notation, and the nodes that accept anything. */
function crdKeyPaths(s: Schema, prefix = ""): { paths: string[]; open: string[] } {
  const paths: string[] = [];
  const open: string[] = [];
  if (s["x-kubernetes-preserve-unknown-fields"] === true) open.push(prefix);
  const add = (path: string, child: Schema) => {
    const sub = crdKeyPaths(child, path);
    paths.push(path, ...sub.paths);
    open.push(...sub.open);
  };
  for (const [key, child] of Object.entries(props(s))) add(prefix === "" ? key : `${prefix}.${key}`, child);
  if (typeof s.additionalProperties === "object") add(`${prefix}{}`, s.additionalProperties as Schema);
  if (s.items !== undefined) add(`${prefix}[]`, s.items as Schema);
  return { paths, open };
}

/** The schema node at a key path (schema-keys.ts notation). */
function schemaAt(root: Schema, path: string): Schema | undefined {
  let s: Schema | undefined = root;
  for (const part of path.match(/[^.[\]{}]+|\[\]|\{\}/g) ?? []) {
    if (s === undefined) return undefined;
    if (part === "[]") s = s.items as Schema | undefined;
    else if (part === "{}") s = s.additionalProperties as Schema | undefined;
    else s = props(s)[part];
  }
  return s;
}

// ---------------------------------------------------------------------------
// A small OpenAPI v3 + CEL evaluator for the subset the CRDs use, so the tests
// can check that the API server would accept what validate.ts accepts.

/** Our CEL rules use has(), field access, literals and JS-compatible operators only. */
function celRule(rule: string): (self: unknown) => boolean {
  assert.match(rule, /^[\sA-Za-z0-9_.()!&|?:=<>*+'-]*$/, `CEL rule outside the tested subset: ${rule}`);
  const js = rule
    .replace(/(!=|==)/g, "$1=")
    .replace(/has\((self(?:\.[A-Za-z_]\w*)+)\)/g, "($1 !== undefined)");
  return new Function("self", `return (${js});`) as (self: unknown) => boolean;
}

function schemaErrors(value: unknown, s: Schema, path = ""): string[] {
  const out: string[] = [];
  if (s["x-kubernetes-preserve-unknown-fields"] === true && s.type === undefined) return out;
  const at = path === "" ? "(root)" : path;
  switch (s.type) {
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value))
        return [`${at}: not an object`];
      const o = value as Json;
      for (const key of (s.required ?? []) as string[]) if (!(key in o)) out.push(`${at}.${key}: required`);
      if (typeof s.maxProperties === "number" && Object.keys(o).length > s.maxProperties)
        out.push(`${at}: too many keys`);
      for (const [key, v] of Object.entries(o)) {
        if (path === "" && key === "metadata") continue; // the API server's, checked by it
        const child = props(s)[key] ?? (s.additionalProperties as Schema | undefined);
        const keyPath = path === "" ? key : `${path}.${key}`;
        if (child !== undefined) out.push(...schemaErrors(v, child, keyPath));
        else out.push(`${keyPath}: pruned (not in the schema)`);
      }
      break;
    }
    case "array": {
      if (!Array.isArray(value)) return [`${at}: not an array`];
      if (typeof s.minItems === "number" && value.length < s.minItems) out.push(`${at}: too few items`);
      if (typeof s.maxItems === "number" && value.length > s.maxItems) out.push(`${at}: too many items`);
      if (s["x-kubernetes-list-type"] === "set" && new Set(value).size !== value.length)
        out.push(`${at}: duplicates`);
      value.forEach((v, i) => {
        out.push(...schemaErrors(v, s.items as Schema, `${path}[${i}]`));
      });
      break;
    }
    case "string":
      if (typeof value !== "string") return [`${at}: not a string`];
      if (typeof s.maxLength === "number" && value.length > s.maxLength) out.push(`${at}: too long`);
      if (typeof s.pattern === "string" && !new RegExp(s.pattern).test(value))
        out.push(`${at}: does not match pattern`);
      break;
    case "integer":
      if (!Number.isInteger(value)) return [`${at}: not an integer`];
      if (typeof s.minimum === "number" && (value as number) < s.minimum) out.push(`${at}: under minimum`);
      if (typeof s.maximum === "number" && (value as number) > s.maximum) out.push(`${at}: over maximum`);
      break;
    case "boolean":
      if (typeof value !== "boolean") return [`${at}: not a boolean`];
      break;
    default:
      return [`${at}: untested type ${String(s.type)}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) out.push(`${at}: not one of the enum`);
  if (out.length === 0) {
    for (const v of (s["x-kubernetes-validations"] ?? []) as Json[]) {
      if (!celRule(v.rule as string)(value)) out.push(`${at}: ${v.message as string}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------

describe("custom resource definitions", () => {
  const expected: Array<[string, string, string]> = [
    ["BGPConfiguration", PLURALS.BGPConfiguration, "bgpconf"],
    ["BGPPeer", PLURALS.BGPPeer, "bgppeer"],
    ["BGPNodeStatus", PLURALS.BGPNodeStatus, "bgpns"],
  ];

  it("one per kind: cluster-scoped, v1alpha1 served and stored, named <plural>.<group>", () => {
    assert.deepEqual([...CRDS.keys()].sort(), expected.map((e) => e[0]).sort());
    for (const [kind, plural, shortName] of expected) {
      const c = crd(kind);
      const spec = c.spec as Json;
      const names = spec.names as Json;
      assert.equal(c.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal((c.metadata as Json).name, `${plural}.bgp.flatroute.io`);
      assert.equal(`${spec.group as string}/${version(c).name as string}`, GROUP_VERSION);
      assert.equal(spec.scope, "Cluster");
      assert.equal(names.plural, plural);
      assert.equal(names.singular, kind.toLowerCase());
      assert.equal(names.listKind, `${kind}List`);
      assert.deepEqual(names.shortNames, [shortName]);
      assert.equal(version(c).served, true);
      assert.equal(version(c).storage, true);
    }
    assert.deepEqual(version(crd("BGPNodeStatus")).subresources, { status: {} });
  });

  for (const [kind] of expected) {
    it(`${kind} has a structural schema`, () => {
      const root = rootSchema(kind);
      assert.equal(root.type, "object");
      assert.deepEqual(props(root).metadata, { type: "object" }, "metadata is the API server's");
      const problems = [
        ...structuralProblems(root, kind, false),
        ...(props(root).spec ? structuralProblems(props(root).spec!, `${kind}.spec`, true) : []),
      ];
      assert.deepEqual([...new Set(problems)], []);
    });

    it(`${kind} printer columns point at properties of the right type`, () => {
      const columns = (version(crd(kind)).additionalPrinterColumns ?? []) as Json[];
      assert.ok(columns.length >= 3);
      assert.deepEqual(columns[columns.length - 1], {
        name: "Age",
        type: "date",
        jsonPath: ".metadata.creationTimestamp",
      });
      for (const col of columns.slice(0, -1)) {
        const jsonPath = col.jsonPath as string;
        const filter = /\[\?\(@\.(\w+)=="[^"]*"\)\]/.exec(jsonPath);
        const path = jsonPath.replace(/^\./, "").replace(/\[\?\([^)]*\)\]/g, "[]");
        const target = schemaAt(rootSchema(kind), path);
        assert.ok(target, `${kind} column ${col.name as string}: ${jsonPath} is not in the schema`);
        assert.equal(target.type, col.type, `${kind} column ${col.name as string}`);
        if (filter) {
          const listPath = path.slice(0, path.lastIndexOf("[]") + 2);
          assert.ok(schemaAt(rootSchema(kind), `${listPath}.${filter[1]}`), `${jsonPath}: filter field`);
        }
      }
    });
  }

  it("the column sets are Sessions/ASN/RouterID/Ready, PeerAddress/PeerASN and ASN/Mesh", () => {
    const columns = (kind: string) =>
      ((version(crd(kind)).additionalPrinterColumns ?? []) as Json[]).map((c) => c.name);
    assert.deepEqual(columns("BGPNodeStatus"), ["Sessions", "ASN", "RouterID", "Ready", "Age"]);
    assert.deepEqual(columns("BGPPeer"), ["PeerAddress", "PeerASN", "Age"]);
    assert.deepEqual(columns("BGPConfiguration"), ["ASN", "Mesh", "Age"]);
  });

  const specs: Array<[string, Parameters<typeof keyPaths>[0]]> = [
    ["BGPConfiguration", configurationSpecSchema],
    ["BGPPeer", peerSpecSchema],
  ];
  for (const [kind, schema] of specs) {
    it(`${kind} spec keys are those validate.ts knows, no more and no fewer`, () => {
      const spec = props(rootSchema(kind)).spec!;
      const { paths, open } = crdKeyPaths(spec);
      // A prefix-list entry is a CIDR or a mapping: no structural schema types a union.
      const expectedOpen = kind === "BGPConfiguration" ? ["policies{}.terms[].match.prefixes[]"] : [];
      assert.deepEqual(open, expectedOpen);
      const zodPaths = keyPaths(schema).filter((p) => !open.some((o) => p.startsWith(o) && p !== o));
      assert.deepEqual([...new Set(paths)].sort(), zodPaths.sort());
    });
  }

  it("BGPNodeStatus status keys are those of BGPNodeStatusStatus in resources.ts", () => {
    type DeepRequired<T> = T extends (infer U)[]
      ? DeepRequired<U>[]
      : T extends object
        ? { [K in keyof T]-?: DeepRequired<T[K]> }
        : T;
    // Every key present, so a key added to resources.ts fails to compile until added here (and to the CRD).
    const full: DeepRequired<BGPNodeStatusStatus> = {
      nodeName: "n1",
      routerID: "10.0.0.1",
      asn: 64512,
      podCIDRs: ["10.244.1.0/24"],
      sessions: "1/1",
      established: 1,
      peersTotal: 1,
      lastUpdate: "2024-01-01T00:00:00Z",
      agentVersion: "0.1.0",
      gracefulShutdown: { sources: ["cordon"], since: "2024-01-01T00:00:00Z" },
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "AllSessionsEstablished",
          message: "every session established",
          lastTransitionTime: "2024-01-01T00:00:00Z",
          observedGeneration: 1,
        },
      ],
      peers: [
        {
          name: "n2",
          address: "10.0.0.2",
          kind: "mesh",
          node: "n2",
          asn: 64512,
          state: "Established",
          since: "2024-01-01T00:00:00Z",
          prefixesReceived: 1,
          prefixesAccepted: 1,
          prefixesAdvertised: 1,
          lastError: "Received: Hold timer expired",
          bfd: "Up",
        },
      ],
    };
    const status = props(rootSchema("BGPNodeStatus")).status!;
    const valuePaths = (v: unknown, prefix = ""): string[] => {
      if (Array.isArray(v)) return [`${prefix}[]`, ...valuePaths(v[0], `${prefix}[]`)];
      if (v === null || typeof v !== "object") return [];
      return Object.entries(v).flatMap(([k, x]) => {
        const p = prefix === "" ? k : `${prefix}.${k}`;
        return [p, ...valuePaths(x, p)];
      });
    };
    assert.deepEqual(crdKeyPaths(status).paths.sort(), valuePaths(full).sort());
    assert.deepEqual(
      schemaErrors(
        { apiVersion: GROUP_VERSION, kind: "BGPNodeStatus", metadata: { name: "n1" }, status: full },
        rootSchema("BGPNodeStatus"),
      ),
      [],
    );
  });

  it("IP and CIDR patterns accept what validate.ts accepts and refuse garbage", () => {
    const peerProps = props(props(rootSchema("BGPPeer")).spec!);
    const ip = new RegExp(peerProps.peerAddress!.pattern as string);
    const cidrSchema = schemaAt(props(rootSchema("BGPConfiguration")).spec!, "clusterCIDRs[]")!;
    const cidr = new RegExp(cidrSchema.pattern as string);
    const ips = [
      "10.0.0.1",
      "255.255.255.255",
      "0.0.0.0",
      "::",
      "::1",
      "fd00::1",
      "2001:db8:0:0:1:0:0:1",
      "::ffff:192.0.2.1",
      "1:2:3:4:5:6:7:8",
    ];
    for (const a of ips) {
      assert.ok(isIP(a) !== 0, a);
      assert.ok(ip.test(a), `pattern refuses ${a}`);
    }
    for (const a of ["10.0.0.256", "10.0.0", "tor1", "10.0.0.1/32", "", "1.2.3.4.5"]) {
      assert.equal(isIP(a), 0, a);
      assert.ok(!ip.test(a), `pattern accepts ${a}`);
    }
    for (const p of ["10.244.0.0/16", "0.0.0.0/0", "fd00::/48", "::/0", "2001:db8::/128", "192.0.2.1/32"]) {
      parsePrefix(p);
      assert.ok(cidr.test(p), `pattern refuses ${p}`);
    }
    for (const p of ["10.244.0.0", "10.244.0.0/33", "fd00::/129", "x/8", "10.0.0.0/-1"]) {
      assert.ok(!cidr.test(p), `pattern accepts ${p}`);
    }
  });

  it("the CEL rules refuse exactly what validate.ts's cross-field checks refuse", () => {
    const peerCrd = rootSchema("BGPPeer");
    const confCrd = rootSchema("BGPConfiguration");
    const peerSpecs: Json[] = [
      { peerAddress: "192.0.2.1", peerASN: 65001 },
      { peerSelector: {} },
      { peerAddress: "192.0.2.1", peerASN: 65001, peerSelector: {} },
      { peerASN: 65001 },
      {},
      { peerAddress: "192.0.2.1" },
      { peerSelector: {}, peerASN: 1 },
      { peerAddress: "192.0.2.1", peerASN: 65001, multihop: 2 },
      { peerAddress: "192.0.2.1", peerASN: 65001, ttlSecurity: 1 },
      { peerAddress: "192.0.2.1", peerASN: 65001, multihop: 2, ttlSecurity: 1 },
      { peerSelector: {}, holdTime: 9, keepalive: 3 },
      { peerSelector: {}, holdTime: 9, keepalive: 4 },
      { peerSelector: {}, holdTime: 0 },
      { peerSelector: {}, holdTime: 0, keepalive: 1 },
      { peerSelector: {}, holdTime: 2 },
      { peerSelector: {}, keepalive: 30 },
      { peerSelector: {}, keepalive: 31 },
      { peerSelector: {}, families: ["ipv4", "ipv4"] },
    ];
    for (const spec of peerSpecs) {
      const obj = { apiVersion: GROUP_VERSION, kind: "BGPPeer", metadata: { name: "p" }, spec };
      const crdOk = schemaErrors(obj, peerCrd).length === 0;
      assert.equal(
        crdOk,
        validateBgpPeer(obj).ok,
        `${JSON.stringify(spec)}: ${schemaErrors(obj, peerCrd).join("; ")}`,
      );
    }
    const confSpecs: Json[] = [
      {},
      { holdTime: 30, keepalive: 10 },
      { holdTime: 30, keepalive: 11 },
      { keepalive: 31 },
      { holdTime: 0, keepalive: 1 },
    ];
    for (const spec of confSpecs) {
      const obj = {
        apiVersion: GROUP_VERSION,
        kind: "BGPConfiguration",
        metadata: { name: "default" },
        spec,
      };
      assert.equal(
        schemaErrors(obj, confCrd).length === 0,
        validateBgpConfiguration(obj).ok,
        JSON.stringify(spec),
      );
    }
    const other = {
      apiVersion: GROUP_VERSION,
      kind: "BGPConfiguration",
      metadata: { name: "cluster" },
      spec: {},
    };
    assert.deepEqual(schemaErrors(other, confCrd), [
      '(root): flatroute reads only the BGPConfiguration named "default"',
    ]);
  });
});

describe("example manifests", () => {
  const examples = yamlFiles(EXAMPLE_DIR).flatMap((file) => readDocs(file).map((doc) => ({ file, doc })));
  const byKind = (kind: string) => examples.filter((e) => e.doc.kind === kind).map((e) => e.doc);

  it("cover a BGPConfiguration, a ToR BGPPeer with a password, a route-reflector pair and a Secret", () => {
    assert.equal(byKind("BGPConfiguration").length, 1);
    const peers = byKind("BGPPeer").map((p) => p.spec as Json);
    assert.ok(peers.some((p) => p.peerAddress && p.password && p.nodeSelector));
    assert.equal(peers.filter((p) => p.peerSelector).length, 2);
    assert.equal(byKind("Secret").length, 1);
  });

  it("pass validate.ts and the CRD schemas", () => {
    for (const { file, doc } of examples) {
      if (doc.kind === "Secret") {
        for (const v of Object.values((doc.stringData ?? {}) as Record<string, string>)) {
          assert.ok(v.length >= 1 && Buffer.byteLength(v) <= 80, file);
        }
        continue;
      }
      const r = doc.kind === "BGPConfiguration" ? validateBgpConfiguration(doc) : validateBgpPeer(doc);
      assert.deepEqual(r.ok ? [] : r.problems, [], file);
      assert.deepEqual(schemaErrors(doc, rootSchema(doc.kind as string)), [], file);
    }
  });

  it("translate without problems on a small cluster", () => {
    const mk = (
      name: string,
      v4: string,
      labels: Record<string, string>,
      annotations: Record<string, string> = {},
    ): Node => ({
      metadata: { name, labels, annotations },
      spec: { podCIDR: `10.244.${v4.split(".")[3]}.0/24` },
      status: { addresses: [{ type: "InternalIP", address: v4 }] },
    });
    const nodes = [
      mk(
        "rr1",
        "10.0.0.1",
        { "route-reflector": "true" },
        { "bgp.flatroute.io/route-reflector-cluster-id": "10.255.0.1" },
      ),
      mk("n2", "10.0.0.2", { "topology.flatroute.io/rack": "rack1" }),
      mk("n3", "10.0.0.3", {}),
    ];
    const secret = byKind("Secret")[0] as unknown as Secret;
    const snapshot = {
      nodes,
      configuration: byKind("BGPConfiguration")[0],
      peers: byKind("BGPPeer"),
      secrets: new Map([[secret.metadata.name, secret]]),
      crdsInstalled: true,
    };
    const file = { prefixes: [], peers: [], policies: new Map() };
    const onN2 = translate(snapshot, "n2", file);
    assert.deepEqual(onN2.problems, []);
    assert.deepEqual(
      onN2.speaker?.peers.map((p) => [p.name, p.password]),
      [
        ["n3", "change-me-mesh"],
        ["rr1", "change-me-mesh"],
        ["tor-rack1", "change-me-tor"],
      ],
    );
    const onRr1 = translate(snapshot, "rr1", file);
    assert.deepEqual(onRr1.problems, []);
    assert.deepEqual(
      onRr1.speaker?.peers.map((p) => [p.name, p.routeReflectorClient]),
      [
        ["n2", true],
        ["n3", true],
      ],
    );
  });

  it("kubectl parses every manifest client-side, reading what we read", function () {
    // `kubectl create --dry-run=client` needs the API server's discovery even with
    // --validate=false; `label --local` parses and prints without any server.
    const kubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => existsSync(p));
    // scripts/setup.sh installs one; a missing kubectl fails rather than skips.
    assert.ok(kubectl, "kubectl not found (scripts/setup.sh installs Debian's kubernetes-client)");
    this.timeout(60000);
    for (const file of [...yamlFiles(CRD_DIR), ...yamlFiles(EXAMPLE_DIR)]) {
      const out: string = execFileSync(
        kubectl,
        ["label", "--local", "-o", "json", "-f", file, "flatroute.io/parsed=true"],
        {
          encoding: "utf8",
          env: { ...process.env, KUBECONFIG: "/nonexistent/kubeconfig" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const parsed: Json[] = splitJsonObjects(out).map((o) => {
        const meta = o.metadata as Json;
        const labels = meta.labels as Record<string, string>;
        delete labels["flatroute.io/parsed"];
        if (Object.keys(labels).length === 0) delete meta.labels;
        return o;
      });
      assert.deepEqual(parsed, readDocs(file), file);
    }
  });
});

/** kubectl prints several objects as consecutive pretty-printed JSON documents. */
function splitJsonObjects(text: string): Json[] {
  const out: Json[] = [];
  let chunk: string[] = [];
  for (const line of text.split("\n")) {
    chunk.push(line);
    if (line === "}") {
      out.push(JSON.parse(chunk.join("\n")) as Json);
      chunk = [];
    }
  }
  assert.equal(chunk.join("").trim(), "");
  return out;
}
