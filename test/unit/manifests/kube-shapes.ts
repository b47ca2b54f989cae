// The Kubernetes object shapes the manifests use, as small typed validators:
// the fields of the built-in kinds we write (and only those: an unknown field
// is an error, as with the API server's strict field validation, so a typo or
// a misplaced key cannot pass silently), their formats (DNS-1123 names, label
// keys, quantities, capability names, field paths) and the cross-field rules
// the API server enforces on them (selector matches template labels, mounts
// name existing volumes, one probe handler, ...). Written from the Kubernetes
// API reference and apimachinery's validation; no network fetch of OpenAPI.
// Extend a shape when a manifest starts using a new field.
import { isLabelKey, isLabelValue, matchesSelector } from "../../../src/k8s/selector";

export type Json = Record<string, unknown>;

/** Checks `value` at `path`, appending one line per problem to `out`. */
export type Check = (value: unknown, path: string, out: string[]) => void;

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Formats (k8s.io/apimachinery/pkg/util/validation).

type Format = (s: string) => string | undefined;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const dnsLabel: Format = (s) =>
  s.length <= 63 && DNS_LABEL.test(s) ? undefined : "expected a DNS-1123 label";

export const dnsSubdomain: Format = (s) =>
  s.length <= 253 && s.split(".").every((part) => DNS_LABEL.test(part))
    ? undefined
    : "expected a DNS-1123 subdomain";

/** RBAC object names: any path segment (ValidatePathSegmentName). */
const pathSegment: Format = (s) =>
  s !== "" && s !== "." && s !== ".." && !/[/%]/.test(s) ? undefined : "expected a path segment name";

const labelKey: Format = (s) => (isLabelKey(s) ? undefined : "expected a label key");
const labelValue: Format = (s) => (isLabelValue(s) ? undefined : "expected a label value");

const configMapKey: Format = (s) =>
  s.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(s) && s !== "." && s !== ".."
    ? undefined
    : "expected a ConfigMap/Secret key";

const envName: Format = (s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? undefined : "expected an env var name");

/** Port names (IANA_SVC_NAME). */
const portName: Format = (s) =>
  s.length <= 15 && DNS_LABEL.test(s) && /[a-z]/.test(s) && !s.includes("--")
    ? undefined
    : "expected an IANA service name (at most 15 characters)";

const absolutePath: Format = (s) =>
  s.startsWith("/") && !s.split("/").includes("..") ? undefined : "expected an absolute path";

/** The downward API's fieldRef paths for env vars (pods/validation.go). */
const FIELD_PATHS = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];
const fieldPath: Format = (s) =>
  FIELD_PATHS.includes(s) || /^metadata\.(labels|annotations)\['[^']+'\]$/.test(s)
    ? undefined
    : `expected a downward API field path (${FIELD_PATHS.join(", ")}, metadata.labels['KEY'], metadata.annotations['KEY'])`;

const apiGroup: Format = (s) =>
  s === "" || s === "*" || dnsSubdomain(s) === undefined ? undefined : "expected an API group";

/** RBAC resources: a lowercase plural, optionally with a subresource. */
const rbacResource: Format = (s) =>
  s === "*" || /^[a-z][a-z0-9]*(\/[a-z][a-z0-9]*)?$/.test(s)
    ? undefined
    : "expected a resource[/subresource]";

const QUANTITY = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A resource quantity as a number (bytes, cores); undefined when malformed. */
export function parseQuantity(s: string): number | undefined {
  const m = QUANTITY.exec(s);
  return m ? Number(m[1]) * (SUFFIX[m[3] ?? ""] as number) : undefined;
}
const quantity: Format = (s) => (parseQuantity(s) === undefined ? "expected a resource quantity" : undefined);

/** Linux capabilities (capability.h), as Kubernetes names them: without CAP_. */
const CAPABILITIES = [
  "ALL",
  "AUDIT_CONTROL",
  "AUDIT_READ",
  "AUDIT_WRITE",
  "BLOCK_SUSPEND",
  "BPF",
  "CHECKPOINT_RESTORE",
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "IPC_LOCK",
  "IPC_OWNER",
  "KILL",
  "LEASE",
  "LINUX_IMMUTABLE",
  "MAC_ADMIN",
  "MAC_OVERRIDE",
  "MKNOD",
  "NET_ADMIN",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_RAW",
  "PERFMON",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYSLOG",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_CHROOT",
  "SYS_MODULE",
  "SYS_NICE",
  "SYS_PACCT",
  "SYS_PTRACE",
  "SYS_RAWIO",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "WAKE_ALARM",
];

const RBAC_VERBS = [
  "*",
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "impersonate",
  "bind",
  "escalate",
  "use",
  "approve",
  "sign",
];

// ---------------------------------------------------------------------------
// Combinators.

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v;
}

export const anything: Check = () => undefined;

export function str(...formats: Format[]): Check {
  return (v, path, out) => {
    if (typeof v !== "string") {
      out.push(`${path}: expected a string, got ${typeName(v)}`);
      return;
    }
    for (const f of formats) {
      const problem = f(v);
      if (problem !== undefined) out.push(`${path}: ${problem}, got ${JSON.stringify(v)}`);
    }
  };
}

export function oneOf(values: readonly string[]): Check {
  return (v, path, out) => {
    if (typeof v !== "string" || !values.includes(v))
      out.push(`${path}: expected one of ${values.join(", ")}, got ${JSON.stringify(v)}`);
  };
}

export function int(min = -(2 ** 31), max = 2 ** 31 - 1): Check {
  return (v, path, out) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      out.push(`${path}: expected an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  };
}

export const bool: Check = (v, path, out) => {
  if (typeof v !== "boolean") out.push(`${path}: expected true or false, got ${typeName(v)}`);
};

/** IntOrString: a port number or a port name; a count or a percentage. */
function intOr(stringForm: Format, min: number, max: number): Check {
  return (v, path, out) =>
    typeof v === "string" ? str(stringForm)(v, path, out) : int(min, max)(v, path, out);
}
const percent: Format = (s) => (/^[0-9]+%$/.test(s) ? undefined : "expected a percentage");

export function obj(fields: Record<string, Check>, required: readonly string[] = []): Check {
  return (v, path, out) => {
    if (!isObject(v)) {
      out.push(`${path}: expected a mapping, got ${typeName(v)}`);
      return;
    }
    for (const key of required) if (!(key in v)) out.push(`${path}.${key}: required`);
    for (const [key, value] of Object.entries(v)) {
      const check = fields[key];
      if (check === undefined) out.push(`${path}.${key}: unknown field`);
      else check(value, `${path}.${key}`, out);
    }
  };
}

export function list(item: Check, minItems = 0): Check {
  return (v, path, out) => {
    if (!Array.isArray(v)) {
      out.push(`${path}: expected a list, got ${typeName(v)}`);
      return;
    }
    if (v.length < minItems) out.push(`${path}: expected at least ${minItems} items`);
    v.forEach((x, i) => {
      item(x, `${path}[${i}]`, out);
    });
  };
}

export function dict(value: Check, key: Format): Check {
  return (v, path, out) => {
    if (!isObject(v)) {
      out.push(`${path}: expected a mapping, got ${typeName(v)}`);
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      const problem = key(k);
      if (problem !== undefined) out.push(`${path}: key ${JSON.stringify(k)}: ${problem}`);
      value(x, `${path}[${JSON.stringify(k)}]`, out);
    }
  };
}

/** All of the checks on one value: a shape, then cross-field rules. */
function all(...checks: Check[]): Check {
  return (v, path, out) => {
    for (const c of checks) c(v, path, out);
  };
}

/**
 * A cross-field rule over a mapping. Rules read fields with the types the
 * shape demands; where the shape does not hold, it has said so already and a
 * rule that trips over the bad value has nothing to add.
 */
function rule(f: (o: Json, path: string, out: string[]) => void): Check {
  return (v, path, out) => {
    if (!isObject(v)) return;
    const found: string[] = [];
    try {
      f(v, path, found);
    } catch {
      return;
    }
    out.push(...found);
  };
}

function duplicates(values: unknown[]): unknown[] {
  return values.filter((x, i) => values.indexOf(x) !== i);
}

// ---------------------------------------------------------------------------
// Shapes.

const labels = dict(str(labelValue), labelKey);

const labelSelector = obj({
  matchLabels: labels,
  matchExpressions: list(
    obj(
      {
        key: str(labelKey),
        operator: oneOf(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: list(str(labelValue)),
      },
      ["key", "operator"],
    ),
  ),
});

const policyRule = obj(
  {
    apiGroups: list(str(apiGroup), 1),
    resources: list(str(rbacResource), 1),
    verbs: list(oneOf(RBAC_VERBS), 1),
    resourceNames: list(str()),
  },
  ["verbs"],
);

const roleRef = obj(
  {
    apiGroup: oneOf(["rbac.authorization.k8s.io"]),
    kind: oneOf(["Role", "ClusterRole"]),
    name: str(pathSegment),
  },
  ["apiGroup", "kind", "name"],
);

const subject = all(
  obj(
    {
      kind: oneOf(["ServiceAccount", "User", "Group"]),
      name: str(),
      namespace: str(dnsLabel),
      apiGroup: str(),
    },
    ["kind", "name"],
  ),
  rule((s, path, out) => {
    if (s.kind === "ServiceAccount") {
      if (dnsSubdomain(s.name as string) !== undefined)
        out.push(`${path}.name: expected a ServiceAccount name`);
      if (s.namespace === undefined) out.push(`${path}.namespace: required for a ServiceAccount`);
      if (s.apiGroup !== undefined && s.apiGroup !== "")
        out.push(`${path}.apiGroup: must be "" for a ServiceAccount`);
    }
  }),
);

const httpGet = obj(
  {
    path: str((s) => (s.startsWith("/") ? undefined : "expected a path starting with /")),
    port: intOr(portName, 1, 65535),
    host: str(),
    scheme: oneOf(["HTTP", "HTTPS"]),
  },
  ["port"],
);

const probe = all(
  obj({
    httpGet,
    tcpSocket: obj({ port: intOr(portName, 1, 65535), host: str() }, ["port"]),
    exec: obj({ command: list(str(), 1) }, ["command"]),
    initialDelaySeconds: int(0),
    periodSeconds: int(1),
    timeoutSeconds: int(1),
    successThreshold: int(1),
    failureThreshold: int(1),
  }),
  rule((p, path, out) => {
    const handlers = ["httpGet", "tcpSocket", "exec"].filter((h) => h in p);
    if (handlers.length !== 1) out.push(`${path}: expected exactly one handler, got ${handlers.length}`);
  }),
);

const containerPort = obj(
  {
    name: str(portName),
    containerPort: int(1, 65535),
    hostPort: int(1, 65535),
    protocol: oneOf(["TCP", "UDP", "SCTP"]),
  },
  ["containerPort"],
);

const envVar = all(
  obj(
    {
      name: str(envName),
      value: str(),
      valueFrom: obj({
        fieldRef: obj({ fieldPath: str(fieldPath), apiVersion: oneOf(["v1"]) }, ["fieldPath"]),
        configMapKeyRef: obj({ name: str(dnsSubdomain), key: str(configMapKey), optional: bool }, ["key"]),
        secretKeyRef: obj({ name: str(dnsSubdomain), key: str(configMapKey), optional: bool }, ["key"]),
      }),
    },
    ["name"],
  ),
  rule((e, path, out) => {
    if ("value" in e && "valueFrom" in e) out.push(`${path}: value and valueFrom together`);
    if (isObject(e.valueFrom) && Object.keys(e.valueFrom).length !== 1)
      out.push(`${path}.valueFrom: expected exactly one source`);
  }),
);

const resourceList = dict(str(quantity), (k) =>
  ["cpu", "memory", "ephemeral-storage"].includes(k)
    ? undefined
    : "expected cpu, memory or ephemeral-storage",
);
const resources = all(
  obj({ requests: resourceList, limits: resourceList }),
  rule((r, path, out) => {
    const requests = (r.requests ?? {}) as Record<string, string>;
    const limits = (r.limits ?? {}) as Record<string, string>;
    for (const [name, limit] of Object.entries(limits)) {
      const request = requests[name];
      if (request !== undefined && (parseQuantity(request) as number) > (parseQuantity(limit) as number))
        out.push(`${path}.requests.${name}: must be at most the limit ${limit}`);
    }
  }),
);

const securityContext = all(
  obj({
    privileged: bool,
    allowPrivilegeEscalation: bool,
    runAsUser: int(0),
    runAsGroup: int(0),
    runAsNonRoot: bool,
    readOnlyRootFilesystem: bool,
    capabilities: obj({ add: list(oneOf(CAPABILITIES)), drop: list(oneOf(CAPABILITIES)) }),
    seccompProfile: obj(
      { type: oneOf(["RuntimeDefault", "Unconfined", "Localhost"]), localhostProfile: str() },
      ["type"],
    ),
  }),
  rule((s, path, out) => {
    // pods/validation.go: escalation cannot be denied to a privileged or CAP_SYS_ADMIN container.
    const add = ((s.capabilities as Json | undefined)?.add ?? []) as string[];
    if (s.allowPrivilegeEscalation === false && (s.privileged === true || add.includes("SYS_ADMIN")))
      out.push(`${path}: allowPrivilegeEscalation false with privileged or SYS_ADMIN`);
    if (s.runAsNonRoot === true && s.runAsUser === 0) out.push(`${path}: runAsNonRoot with runAsUser 0`);
  }),
);

const volumeMount = obj(
  { name: str(dnsLabel), mountPath: str(absolutePath), readOnly: bool, subPath: str() },
  ["name", "mountPath"],
);

const container = obj(
  {
    name: str(dnsLabel),
    image: str((s) => (s.trim() === s && s !== "" ? undefined : "expected an image reference")),
    imagePullPolicy: oneOf(["Always", "IfNotPresent", "Never"]),
    command: list(str()),
    args: list(str()),
    env: list(envVar),
    ports: list(containerPort),
    startupProbe: probe,
    livenessProbe: probe,
    readinessProbe: probe,
    resources,
    securityContext,
    volumeMounts: list(volumeMount),
  },
  ["name", "image"],
);

const HOST_PATH_TYPES = [
  "",
  "DirectoryOrCreate",
  "Directory",
  "FileOrCreate",
  "File",
  "Socket",
  "CharDevice",
  "BlockDevice",
];
const VOLUME_SOURCES = ["configMap", "hostPath", "secret", "emptyDir"];
const volume = all(
  obj(
    {
      name: str(dnsLabel),
      configMap: obj(
        {
          name: str(dnsSubdomain),
          items: list(obj({ key: str(configMapKey), path: str(), mode: int(0, 0o777) }, ["key", "path"])),
          defaultMode: int(0, 0o777),
          optional: bool,
        },
        ["name"],
      ),
      hostPath: obj({ path: str(absolutePath), type: oneOf(HOST_PATH_TYPES) }, ["path"]),
      secret: obj({ secretName: str(dnsSubdomain), defaultMode: int(0, 0o777), optional: bool }),
      emptyDir: obj({ medium: oneOf(["", "Memory"]), sizeLimit: str(quantity) }),
    },
    ["name"],
  ),
  rule((v, path, out) => {
    const sources = VOLUME_SOURCES.filter((s) => s in v);
    if (sources.length !== 1) out.push(`${path}: expected exactly one volume source, got ${sources.length}`);
    const items = ((v.configMap as Json | undefined)?.items ?? []) as Json[];
    for (const item of items) {
      const p = item.path as string;
      if (p.startsWith("/") || p.split("/").includes(".."))
        out.push(`${path}.configMap.items: bad path ${p}`);
    }
  }),
);

const toleration = all(
  obj({
    key: str(labelKey),
    operator: oneOf(["Exists", "Equal"]),
    value: str(labelValue),
    effect: oneOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
    tolerationSeconds: int(),
  }),
  rule((t, path, out) => {
    if (t.operator === "Exists" && t.value !== undefined && t.value !== "")
      out.push(`${path}: a value with operator Exists`);
    if ((t.key === undefined || t.key === "") && t.operator !== "Exists")
      out.push(`${path}: an empty key needs operator Exists`);
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute")
      out.push(`${path}: tolerationSeconds only with effect NoExecute`);
  }),
);

/** Cross-field rules of a pod spec (pods/validation.go). */
function podSpecRules(spec: Json, path: string, out: string[]): void {
  const containers = spec.containers as Json[];
  const volumes = (spec.volumes ?? []) as Json[];
  const volumeNames = volumes.map((v) => v.name);
  for (const d of duplicates(volumeNames)) out.push(`${path}.volumes: duplicate name ${String(d)}`);
  for (const d of duplicates(containers.map((c) => c.name)))
    out.push(`${path}.containers: duplicate name ${String(d)}`);
  containers.forEach((c, i) => {
    const at = `${path}.containers[${i}]`;
    const mounts = (c.volumeMounts ?? []) as Json[];
    for (const m of mounts)
      if (!volumeNames.includes(m.name)) out.push(`${at}.volumeMounts: no volume named ${String(m.name)}`);
    for (const d of duplicates(mounts.map((m) => m.mountPath)))
      out.push(`${at}.volumeMounts: duplicate mountPath ${String(d)}`);
    const env = (c.env ?? []) as Json[];
    for (const d of duplicates(env.map((e) => e.name))) out.push(`${at}.env: duplicate name ${String(d)}`);
    const ports = (c.ports ?? []) as Json[];
    for (const d of duplicates(ports.map((p) => p.name).filter((n) => n !== undefined)))
      out.push(`${at}.ports: duplicate name ${String(d)}`);
    for (const p of ports) {
      // With the host network the container's port is the host's.
      if (spec.hostNetwork === true && p.hostPort !== undefined && p.hostPort !== p.containerPort)
        out.push(`${at}.ports: hostPort must equal containerPort with hostNetwork`);
    }
    for (const kind of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const probeSpec = c[kind] as Json | undefined;
      const port =
        (probeSpec?.httpGet as Json | undefined)?.port ?? (probeSpec?.tcpSocket as Json | undefined)?.port;
      if (typeof port === "string" && !ports.some((p) => p.name === port))
        out.push(`${at}.${kind}: no container port named ${port}`);
    }
    // Only readiness may ask for several successes in a row.
    for (const kind of ["startupProbe", "livenessProbe"]) {
      const threshold = (c[kind] as Json | undefined)?.successThreshold;
      if (threshold !== undefined && threshold !== 1) out.push(`${at}.${kind}.successThreshold: must be 1`);
    }
  });
  if (spec.dnsPolicy === "ClusterFirstWithHostNet" && spec.hostNetwork !== true)
    out.push(`${path}.dnsPolicy: ClusterFirstWithHostNet is for hostNetwork pods`);
}

const podSpec = all(
  obj(
    {
      serviceAccountName: str(dnsSubdomain),
      automountServiceAccountToken: bool,
      hostNetwork: bool,
      dnsPolicy: oneOf(["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]),
      priorityClassName: str(dnsSubdomain),
      tolerations: list(toleration),
      terminationGracePeriodSeconds: int(0),
      nodeSelector: dict(str(labelValue), labelKey),
      containers: list(container, 1),
      volumes: list(volume),
    },
    ["containers"],
  ),
  rule(podSpecRules),
);

const daemonSetSpec = all(
  obj(
    {
      selector: labelSelector,
      template: obj({ metadata: obj({ labels, annotations: dict(str(), labelKey) }), spec: podSpec }, [
        "spec",
      ]),
      updateStrategy: obj({
        type: oneOf(["RollingUpdate", "OnDelete"]),
        rollingUpdate: obj({
          maxUnavailable: intOr(percent, 0, 2 ** 31 - 1),
          maxSurge: intOr(percent, 0, 2 ** 31 - 1),
        }),
      }),
      minReadySeconds: int(0),
      revisionHistoryLimit: int(0),
    },
    ["selector", "template"],
  ),
  rule((s, path, out) => {
    // apps/validation.go: the selector must select the pods it makes, and may not be empty.
    const selector = s.selector as Json;
    const templateLabels = (((s.template as Json).metadata as Json | undefined)?.labels ?? {}) as Record<
      string,
      string
    >;
    if (Object.keys(selector).length === 0) out.push(`${path}.selector: empty selector`);
    else if (!matchesSelector(selector, templateLabels))
      out.push(`${path}.selector: does not match the template's labels`);
    const rolling = ((s.updateStrategy as Json | undefined)?.rollingUpdate ?? {}) as Json;
    if ((rolling.maxUnavailable ?? 1) === 0 && (rolling.maxSurge ?? 0) === 0)
      out.push(`${path}.updateStrategy: maxUnavailable and maxSurge cannot both be 0`);
  }),
);

// ---------------------------------------------------------------------------
// Kinds.

export interface KindShape {
  namespaced: boolean;
  /** metadata.name's format. */
  name: Format;
  /** The fields besides apiVersion, kind and metadata. */
  fields: Record<string, Check>;
  required?: string[];
}

/** The built-in kinds the manifests use, keyed "apiVersion kind". */
export const BUILTIN_KINDS: ReadonlyMap<string, KindShape> = new Map<string, KindShape>([
  ["v1 Namespace", { namespaced: false, name: dnsLabel, fields: {} }],
  [
    "v1 ServiceAccount",
    { namespaced: true, name: dnsSubdomain, fields: { automountServiceAccountToken: bool } },
  ],
  [
    "v1 ConfigMap",
    { namespaced: true, name: dnsSubdomain, fields: { data: dict(str(), configMapKey), immutable: bool } },
  ],
  [
    "v1 Secret",
    {
      namespaced: true,
      name: dnsSubdomain,
      fields: {
        type: str(),
        data: dict(
          str((s) => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) ? undefined : "expected base64")),
          configMapKey,
        ),
        stringData: dict(str(), configMapKey),
        immutable: bool,
      },
    },
  ],
  [
    "rbac.authorization.k8s.io/v1 ClusterRole",
    { namespaced: false, name: pathSegment, fields: { rules: list(policyRule) } },
  ],
  [
    "rbac.authorization.k8s.io/v1 Role",
    { namespaced: true, name: pathSegment, fields: { rules: list(policyRule) } },
  ],
  [
    "rbac.authorization.k8s.io/v1 ClusterRoleBinding",
    {
      namespaced: false,
      name: pathSegment,
      fields: { roleRef, subjects: list(subject) },
      required: ["roleRef"],
    },
  ],
  [
    "rbac.authorization.k8s.io/v1 RoleBinding",
    {
      namespaced: true,
      name: pathSegment,
      fields: { roleRef, subjects: list(subject) },
      required: ["roleRef"],
    },
  ],
  [
    "apps/v1 DaemonSet",
    { namespaced: true, name: dnsSubdomain, fields: { spec: daemonSetSpec }, required: ["spec"] },
  ],
  // The schema inside is test/unit/k8s/crds.test.ts's business (structural, CEL, printer columns).
  [
    "apiextensions.k8s.io/v1 CustomResourceDefinition",
    { namespaced: false, name: dnsSubdomain, fields: { spec: anything }, required: ["spec"] },
  ],
]);

/** A custom resource's shape: its spec is for src/k8s/validate.ts to check. */
export function customKind(namespaced: boolean): KindShape {
  return { namespaced, name: dnsSubdomain, fields: { spec: anything, status: anything } };
}

/** Problems of one object against its kind's shape ("Kind/name: path: problem" lines). */
export function objectProblems(o: Json, shape: KindShape): string[] {
  const out: string[] = [];
  const metaShape = obj(
    {
      name: str(shape.name),
      namespace: str(dnsLabel),
      labels,
      annotations: dict(str(), labelKey),
    },
    ["name"],
  );
  const { apiVersion: _v, kind: _k, metadata, ...rest } = o;
  metaShape(metadata, "metadata", out);
  const namespace = isObject(metadata) ? metadata.namespace : undefined;
  if (shape.namespaced && namespace === undefined)
    out.push("metadata.namespace: required (no namespace transformer)");
  if (!shape.namespaced && namespace !== undefined)
    out.push("metadata.namespace: set on a cluster-scoped object");
  obj(shape.fields, shape.required ?? [])(rest, "", out);
  const name = isObject(metadata) ? String(metadata.name) : "?";
  return out.map((line) => `${String(o.kind)}/${name}: ${line.replace(/^\./, "")}`);
}
