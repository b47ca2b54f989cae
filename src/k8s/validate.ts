// Custom resources and Node annotations checked before use. The API server
// enforces the CRD schema (manifests/crds/), but objects created before a CRD
// upgrade, by a fake, or with validation off reach us all the same, and a
// cross-field mistake is clearer here than as a CEL message. Every problem
// reads like the config file's: `BGPPeer tor-a: spec.peerASN: expected …, got VALUE`.
import { isIP, isIPv4, isIPv6 } from "node:net";
import { type ZodError, z } from "zod";
import { formatPrefix } from "../bgp/prefix";
import { closest, formatPath, formatValue, problem, valueAt } from "../config/errors";
import { policiesSchema } from "../config/policy-schema";
import { intIn, prefixSchema, says } from "../config/schema-parts";
import { ANNOTATIONS, GROUP_VERSION, type Node } from "./resources";
import { knownKeysAt } from "./schema-keys";
import { OPERATORS, validateSelector } from "./selector";

/** Hold time when neither the BGPPeer nor the BGPConfiguration sets one (RFC 4271's suggestion). */
export const DEFAULT_HOLD_TIME = 90;

const asn = intIn(1, 4294967295);
const bool = z.boolean(says("expected true or false"));

const HOLD_EXPECTED = "expected 0 or an integer 3..65535";
const holdTime = z
  .number(says(HOLD_EXPECTED))
  .int(says(HOLD_EXPECTED))
  .refine((n) => n === 0 || (n >= 3 && n <= 65535), says(HOLD_EXPECTED));
const keepalive = intIn(1, 21845);

const IP_EXPECTED = "expected an IPv4 or IPv6 address";
const ipAddress = z.string(says(IP_EXPECTED)).refine((s) => isIP(s) !== 0, says(IP_EXPECTED));

// Kubernetes object names and Secret keys, as the API server would accept them.
const NAME_EXPECTED = "expected a Kubernetes object name (lowercase letters, digits, - and ., at most 253)";
const objectName = z
  .string(says(NAME_EXPECTED))
  .max(253, says(NAME_EXPECTED))
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, says(NAME_EXPECTED));
const KEY_EXPECTED = "expected a Secret key (letters, digits, -, _ and ., at most 253)";
const secretKey = z
  .string(says(KEY_EXPECTED))
  .max(253, says(KEY_EXPECTED))
  .regex(/^[-._a-zA-Z0-9]+$/, says(KEY_EXPECTED));

const secretKeyRefShape = { name: objectName, key: secretKey };
const passwordShape = {
  secretKeyRef: z.strictObject(secretKeyRefShape, says("expected a mapping with name and key")),
};
const password = z.strictObject(passwordShape, says("expected a mapping with secretKeyRef"));

const bfdShape = {
  enabled: bool.optional(),
  // Milliseconds: a userspace agent cannot keep intervals under 10 ms.
  minRx: intIn(10, 60000).optional(),
  minTx: intIn(10, 60000).optional(),
  multiplier: intIn(1, 255).optional(),
};
const gracefulRestartShape = {
  enabled: bool.optional(),
  restartTime: intIn(1, 4095).optional(),
};

const requirementShape = {
  key: z.string(says("expected a label key")),
  operator: z.enum(OPERATORS, says(`expected one of ${OPERATORS.join(", ")}`)),
  values: z.array(z.string(says("expected a string")), says("expected a list of strings")).optional(),
};
const selectorShape = {
  matchLabels: z
    .record(
      z.string(),
      z.string(says("expected a string (quote numbers and booleans)")),
      says("expected a mapping of label keys to values"),
    )
    .optional(),
  matchExpressions: z
    .array(
      z.strictObject(requirementShape, says("expected a mapping with key, operator and values")),
      says("expected a list"),
    )
    .optional(),
};
const selector = z.strictObject(
  selectorShape,
  says("expected a label selector (matchLabels, matchExpressions)"),
);

const POLICY_NAME_EXPECTED = "expected a policy name";
const policyName = z
  .string(says(POLICY_NAME_EXPECTED))
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, says(POLICY_NAME_EXPECTED));

const configurationSpecShape = {
  asn: asn.optional(),
  nodeToNodeMesh: bool.optional(),
  meshPassword: password.optional(),
  clusterCIDRs: z.array(prefixSchema, says("expected a list of CIDR prefixes")).optional(),
  holdTime: holdTime.optional(),
  keepalive: keepalive.optional(),
  gracefulRestart: z.strictObject(gracefulRestartShape, says("expected a mapping")).optional(),
  bfd: z.strictObject(bfdShape, says("expected a mapping")).optional(),
  maxPaths: intIn(1, 256).optional(),
  acceptDefaultRouteFromToR: bool.optional(),
  listenPort: intIn(1, 65535).optional(),
  policies: policiesSchema.optional(),
};
export const configurationSpecSchema = z.strictObject(configurationSpecShape, says("expected a mapping"));
export type ValidConfigurationSpec = z.output<typeof configurationSpecSchema>;

const FAMILY_EXPECTED = 'expected "ipv4" or "ipv6"';
const peerSpecShape = {
  peerAddress: ipAddress.optional(),
  peerASN: asn.optional(),
  peerSelector: selector.optional(),
  nodeSelector: selector.optional(),
  password: password.optional(),
  multihop: intIn(1, 255).optional(),
  ttlSecurity: intIn(1, 254).optional(),
  holdTime: holdTime.optional(),
  keepalive: keepalive.optional(),
  families: z
    .array(z.enum(["ipv4", "ipv6"], says(FAMILY_EXPECTED)), says('expected a list of "ipv4" and/or "ipv6"'))
    .min(1, says('expected a list of "ipv4" and/or "ipv6"'))
    .optional(),
  role: z.enum(["tor", "node"], says('expected "tor" or "node"')).optional(),
  routeReflectorClient: bool.optional(),
  importPolicy: policyName.optional(),
  exportPolicy: policyName.optional(),
  maxPrefixes: intIn(1, 100_000_000).optional(),
  bfd: z.strictObject(bfdShape, says("expected a mapping")).optional(),
  gracefulRestart: z.strictObject(gracefulRestartShape, says("expected a mapping")).optional(),
  passive: bool.optional(),
};
export const peerSpecSchema = z.strictObject(peerSpecShape, says("expected a mapping"));
export type ValidPeerSpec = z.output<typeof peerSpecSchema>;

export type Validated<T> = { ok: true; name: string; spec: T } | { ok: false; problems: string[] };

/** Checks a BGPConfiguration object (as the API returns it); an absent spec means all defaults. */
export function validateBgpConfiguration(obj: unknown): Validated<ValidConfigurationSpec> {
  return validateResource(obj, "BGPConfiguration", configurationSpecSchema, false, configurationCrossCheck);
}

/** Checks a BGPPeer object (as the API returns it). */
export function validateBgpPeer(obj: unknown): Validated<ValidPeerSpec> {
  return validateResource(obj, "BGPPeer", peerSpecSchema, true, peerCrossCheck);
}

function validateResource<S extends z.ZodType>(
  obj: unknown,
  kind: string,
  schema: S,
  specRequired: boolean,
  crossCheck: (spec: z.output<S>) => string[],
): Validated<z.output<S>> {
  const name = nameOf(obj);
  const label = `${kind} ${name ?? "(unnamed)"}`;
  const say = (lines: string[]) => lines.map((line) => `${label}: ${line}`);
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    return { ok: false, problems: [`${kind} (unnamed): expected an object, got ${formatValue(obj)}`] };
  }
  const o = obj as Record<string, unknown>;
  const problems: string[] = [];
  if (name === undefined) problems.push(problem(["metadata", "name"], "required"));
  // Items of a List may carry no apiVersion or kind; when present they must be ours.
  if (o.apiVersion !== undefined && o.apiVersion !== GROUP_VERSION) {
    problems.push(problem(["apiVersion"], `expected ${GROUP_VERSION}`, o.apiVersion));
  }
  if (o.kind !== undefined && o.kind !== kind) problems.push(problem(["kind"], `expected ${kind}`, o.kind));
  if (o.spec === undefined && specRequired) problems.push(problem(["spec"], "required"));
  if (problems.length > 0) return { ok: false, problems: say(problems) };

  const parsed = schema.safeParse(o.spec ?? {});
  if (!parsed.success) return { ok: false, problems: say(describeIssues(parsed.error, o.spec, schema)) };
  const crossProblems = crossCheck(parsed.data);
  if (crossProblems.length > 0) return { ok: false, problems: say(crossProblems) };
  return { ok: true, name: name!, spec: parsed.data };
}

function nameOf(obj: unknown): string | undefined {
  const name = valueAt(obj, ["metadata", "name"]);
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** Zod issues as problem lines under "spec", with "did you mean" hints for unknown keys. */
function describeIssues(error: ZodError, spec: unknown, schema: z.ZodType): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const at = ["spec", ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const allowed = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = allowed ? closest(key, allowed) : undefined;
        out.push(`${formatPath([...at, key])}: unknown key${hint ? ` (did you mean "${hint}"?)` : ""}`);
      }
    } else if (issue.code === "invalid_key") {
      const inner = issue.issues[0]?.message ?? issue.message;
      out.push(problem(at.slice(0, -1), inner, issue.path[issue.path.length - 1]));
    } else {
      out.push(problem(at, issue.message, mayShow(issue.path) ? valueAt(spec, issue.path) : undefined));
    }
  }
  return out;
}

/**
 * Whether a value may be quoted in a problem line. Problems end up in logs
 * and in status, readable by anyone who can list BGPNodeStatus; a password
 * written inline where a secretKeyRef belongs must not be repeated there.
 */
function mayShow(path: readonly PropertyKey[]): boolean {
  if (path[0] !== "password" && path[0] !== "meshPassword") return true;
  return path.length === 3 && path[1] === "secretKeyRef" && (path[2] === "name" || path[2] === "key");
}

function timerProblems(spec: { holdTime?: number; keepalive?: number }, holdDefault: number): string[] {
  if (spec.keepalive === undefined) return [];
  const hold = spec.holdTime ?? holdDefault;
  if (hold === 0) {
    return [
      problem(["spec", "keepalive"], "must be absent when holdTime is 0 (no keepalives)", spec.keepalive),
    ];
  }
  const max = Math.floor(hold / 3);
  if (spec.keepalive > max) {
    const why = spec.holdTime === undefined ? `holdTime / 3, holdTime defaulting to ${hold}` : "holdTime / 3";
    return [problem(["spec", "keepalive"], `expected an integer 1..${max} (at most ${why})`, spec.keepalive)];
  }
  return [];
}

function configurationCrossCheck(spec: ValidConfigurationSpec): string[] {
  const problems = timerProblems(spec, DEFAULT_HOLD_TIME);
  // The same prefix-list bounds src/config/validate.ts checks for the file's policies.
  for (const [name, policy] of Object.entries(spec.policies ?? {})) {
    policy.terms.forEach((term, t) => {
      (term.match.prefixes ?? []).forEach((m, k) => {
        const max = m.prefix.afi === 1 ? 32 : 128;
        const ge = m.ge ?? m.prefix.length;
        const le = m.le ?? (m.ge !== undefined ? max : m.prefix.length);
        if (ge < m.prefix.length || le > max || ge > le) {
          problems.push(
            problem(
              ["spec", "policies", name, "terms", t, "match", "prefixes", k],
              `expected ${m.prefix.length} <= ge <= le <= ${max} for ${formatPrefix(m.prefix)}`,
              `ge ${m.ge ?? "-"} le ${m.le ?? "-"}`,
            ),
          );
        }
      });
    });
  }
  return problems;
}

function peerCrossCheck(spec: ValidPeerSpec): string[] {
  const problems: string[] = [];
  const at = (key: string) => ["spec", key];
  if (spec.peerAddress !== undefined && spec.peerSelector !== undefined) {
    problems.push(problem(at("peerSelector"), "cannot be combined with peerAddress; keep one of them"));
  } else if (spec.peerAddress === undefined && spec.peerSelector === undefined) {
    problems.push(
      problem(["spec"], "expected peerAddress (a fixed router) or peerSelector (other nodes of the cluster)"),
    );
  }
  if (spec.peerAddress !== undefined && spec.peerASN === undefined) {
    problems.push(problem(at("peerASN"), "required with peerAddress"));
  }
  if (spec.peerSelector !== undefined && spec.peerASN !== undefined) {
    problems.push(
      problem(
        at("peerASN"),
        "must be absent with peerSelector (selected nodes have their own ASN)",
        spec.peerASN,
      ),
    );
  }
  if (spec.multihop !== undefined && spec.ttlSecurity !== undefined) {
    problems.push(
      problem(at("ttlSecurity"), "cannot be combined with multihop (TTL security sends with TTL 255)"),
    );
  }
  problems.push(...timerProblems(spec, DEFAULT_HOLD_TIME));
  const families = spec.families ?? [];
  families.forEach((f, i) => {
    const j = families.indexOf(f);
    if (j < i) problems.push(problem(["spec", "families", i], `duplicates families[${j}]`, f));
  });
  if (spec.nodeSelector) problems.push(...validateSelector(spec.nodeSelector, at("nodeSelector")));
  if (spec.peerSelector) problems.push(...validateSelector(spec.peerSelector, at("peerSelector")));
  return problems;
}

/** Per-node settings from the Node's annotations (resources.ts ANNOTATIONS). */
export interface NodeOverrides {
  asn?: number;
  routerId?: string;
  routeReflectorClusterId?: string;
  ipv4Address?: string;
  ipv6Address?: string;
}

const ROUTER_ID_EXPECTED = "expected a non-zero IPv4 address in dotted-quad form";
const isRouterId = (s: string) => isIPv4(s) && s !== "0.0.0.0";

/**
 * Reads a Node's annotations. A bad value is a problem and is ignored; the
 * other annotations still apply, so one typo does not undo a node's whole
 * setup.
 */
export function parseNodeOverrides(node: Node): { overrides: NodeOverrides; problems: string[] } {
  const annotations = node.metadata.annotations ?? {};
  const overrides: NodeOverrides = {};
  const problems: string[] = [];
  const read = (key: string, ok: (v: string) => boolean, expected: string): string | undefined => {
    if (!Object.hasOwn(annotations, key)) return undefined;
    const value = annotations[key]!;
    if (ok(value)) return value;
    problems.push(`Node ${node.metadata.name}: annotation ${key}: ${expected}, got ${formatValue(value)}`);
    return undefined;
  };
  const asnText = read(
    ANNOTATIONS.asn,
    (v) => /^[0-9]{1,10}$/.test(v) && Number(v) >= 1 && Number(v) <= 4294967295,
    "expected an integer 1..4294967295",
  );
  if (asnText !== undefined) overrides.asn = Number(asnText);
  const routerId = read(ANNOTATIONS.routerId, isRouterId, ROUTER_ID_EXPECTED);
  if (routerId !== undefined) overrides.routerId = routerId;
  const clusterId = read(ANNOTATIONS.routeReflectorClusterId, isRouterId, ROUTER_ID_EXPECTED);
  if (clusterId !== undefined) overrides.routeReflectorClusterId = clusterId;
  const v4 = read(ANNOTATIONS.ipv4Address, (v) => isIPv4(v), "expected an IPv4 address");
  if (v4 !== undefined) overrides.ipv4Address = v4;
  const v6 = read(ANNOTATIONS.ipv6Address, (v) => isIPv6(v), "expected an IPv6 address");
  if (v6 !== undefined) overrides.ipv6Address = v6;
  return { overrides, problems };
}
