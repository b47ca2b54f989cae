// The YAML shape of routing policies, communities and max-prefix limits.
// Kept apart from schema.ts so the session keys and the routing keys each
// stay readable; both build on schema-parts.ts for the same "expected …" phrasing.
import { z } from "zod";
import type { LargeCommunity, Prefix } from "../bgp/codec/types";
import { NO_ADVERTISE, NO_EXPORT, NO_EXPORT_SUBCONFED } from "../bgp/policy/types";
import { intIn, prefixSchema, says } from "./schema-parts";

const WELL_KNOWN: Record<string, number> = {
  "no-export": NO_EXPORT,
  "no-advertise": NO_ADVERTISE,
  "no-export-subconfed": NO_EXPORT_SUBCONFED,
};

const COMMUNITY_EXPECTED =
  'expected a community "ASN:VALUE" (each 0..65535) or no-export, no-advertise, no-export-subconfed';

export function parseCommunity(text: string): number | undefined {
  const known = WELL_KNOWN[text];
  if (known !== undefined) return known;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const hi = Number(m[1]);
  const lo = Number(m[2]);
  if (hi > 65535 || lo > 65535) return undefined;
  return hi * 65536 + lo;
}

export function parseLargeCommunity(text: string): LargeCommunity | undefined {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (!m) return undefined;
  const [g, a, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (g > 0xffffffff || a > 0xffffffff || b > 0xffffffff) return undefined;
  return { globalAdmin: g, localData1: a, localData2: b };
}

const community = z.string(says(COMMUNITY_EXPECTED)).transform((text, ctx): number => {
  const c = parseCommunity(text);
  if (c === undefined) {
    ctx.issues.push({ code: "custom", message: COMMUNITY_EXPECTED, input: text });
    return z.NEVER;
  }
  return c;
});

const LARGE_EXPECTED = 'expected a large community "GLOBAL:DATA1:DATA2" (each 0..4294967295)';
const largeCommunity = z.string(says(LARGE_EXPECTED)).transform((text, ctx): LargeCommunity => {
  const c = parseLargeCommunity(text);
  if (c === undefined) {
    ctx.issues.push({ code: "custom", message: LARGE_EXPECTED, input: text });
    return z.NEVER;
  }
  return c;
});

const prefixMatchShape = {
  prefix: prefixSchema,
  ge: intIn(0, 128).optional(),
  le: intIn(0, 128).optional(),
};

/** A prefix-list entry: a bare prefix (exact match) or {prefix, ge, le}. */
const prefixMatch = z.union(
  [
    prefixSchema.transform((prefix): { prefix: Prefix; ge?: number; le?: number } => ({ prefix })),
    z.strictObject(prefixMatchShape, says("expected a mapping")),
  ],
  says("expected a CIDR prefix or a mapping {prefix, ge, le}"),
);

const SOURCES = ["local", "ebgp", "ibgp"] as const;

const matchShape = {
  prefixes: z
    .array(prefixMatch, says("expected a list of prefixes"))
    .min(1, says("expected a non-empty list"))
    .optional(),
  communities: z
    .array(community, says("expected a list of communities"))
    .min(1, says("expected a non-empty list"))
    .optional(),
  largeCommunities: z
    .array(largeCommunity, says("expected a list of large communities"))
    .min(1, says("expected a non-empty list"))
    .optional(),
  source: z
    .array(
      z.enum(SOURCES, says("expected local, ebgp or ibgp")),
      says("expected a list of local, ebgp, ibgp"),
    )
    .min(1, says("expected a non-empty list"))
    .optional(),
  reflected: z.boolean(says("expected true or false")).optional(),
};

const setShape = {
  localPref: intIn(0, 4294967295).optional(),
  med: intIn(0, 4294967295).optional(),
  addCommunities: z.array(community, says("expected a list of communities")).optional(),
  removeCommunities: z.array(community, says("expected a list of communities")).optional(),
  addLargeCommunities: z.array(largeCommunity, says("expected a list of large communities")).optional(),
  prependAs: intIn(1, 16).optional(),
};

const ACTIONS = ["accept", "reject"] as const;
const action = z.enum(ACTIONS, says('expected "accept" or "reject"'));

const termShape = {
  match: z.strictObject(matchShape, says("expected a mapping")).default({}),
  action,
  set: z.strictObject(setShape, says("expected a mapping")).optional(),
};

export const policyShape = {
  terms: z
    .array(z.strictObject(termShape, says("expected a mapping")), says("expected a list of terms"))
    .default([]),
  defaultAction: action.default("reject"),
};

export const policiesSchema = z.record(
  z
    .string(says("expected a policy name"))
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, says("expected a policy name")),
  z.strictObject(policyShape, says("expected a mapping with terms and defaultAction")),
  says("expected a mapping of policy names to policies"),
);

export const maxPrefixesShape = {
  limit: intIn(1, 100_000_000),
  warningPercent: intIn(1, 100).default(75),
  action: z.enum(["teardown", "warn"], says('expected "teardown" or "warn"')).default("teardown"),
  restartAfter: intIn(0, 86400).default(60),
};

export const KNOWN_POLICY_KEYS = {
  policy: Object.keys(policyShape),
  term: Object.keys(termShape),
  match: Object.keys(matchShape),
  set: Object.keys(setShape),
  maxPrefixes: Object.keys(maxPrefixesShape),
};
