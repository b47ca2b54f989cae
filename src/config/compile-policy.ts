// Parsed policy YAML (policy-schema.ts) into the core's Policy model. Shared by
// the config file and the Kubernetes BGPConfiguration, whose `policies` have
// the same shape.
import type { z } from "zod";
import type { Policy, PolicyTerm } from "../bgp/policy/types";
import type { policiesSchema } from "./policy-schema";

export type ParsedPolicies = z.output<typeof policiesSchema>;

export function compilePolicy(name: string, parsed: ParsedPolicies[string]): Policy {
  const terms: PolicyTerm[] = parsed.terms.map((t) => {
    const match: PolicyTerm["match"] = {};
    const m = t.match;
    if (m.prefixes) match.prefixes = m.prefixes.map((x) => ({ ...x }));
    if (m.communities) match.communities = m.communities;
    if (m.largeCommunities) match.largeCommunities = m.largeCommunities;
    if (m.source) match.source = [...m.source];
    if (m.reflected !== undefined) match.reflected = m.reflected;
    const term: PolicyTerm = { match, action: t.action };
    if (t.set) term.set = { ...t.set };
    return term;
  });
  return { name, terms, defaultAction: parsed.defaultAction };
}

/** Every named policy, compiled. */
export function compilePolicies(parsed: ParsedPolicies | undefined): Map<string, Policy> {
  const out = new Map<string, Policy>();
  for (const [name, p] of Object.entries(parsed ?? {})) out.set(name, compilePolicy(name, p));
  return out;
}
