// Authentication by bearer token and RBAC authorization with the real
// authorizer's matching rules (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac).

import { forbidden } from "./errors";
import type { PolicyRule, RecordedCall, UserRules } from "./types";

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === "*" || v === verb);
}

function groupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === "*" || g === group);
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource === undefined || subresource === "" ? resource : `${resource}/${subresource}`;
  return rule.resources.some((r) => {
    if (r === "*" || r === combined) return true;
    return subresource !== undefined && subresource !== "" && r === `*/${subresource}`;
  });
}

function nameMatches(rule: PolicyRule, name: string | undefined): boolean {
  if (rule.resourceNames === undefined || rule.resourceNames.length === 0) return true;
  return name !== undefined && name !== "" && rule.resourceNames.includes(name);
}

/**
 * True when some rule grants the request. As in real RBAC, a rule with
 * resourceNames grants only requests that carry a name: get/update/patch/delete
 * of that object, or list/watch narrowed to it by `fieldSelector=metadata.name=`;
 * never create, nor an unnarrowed list or watch.
 */
export function ruleAllows(rules: PolicyRule[], call: RecordedCall): boolean {
  return rules.some(
    (r) =>
      verbMatches(r, call.verb) &&
      groupMatches(r, call.apiGroup) &&
      resourceMatches(r, call.resource, call.subresource) &&
      nameMatches(r, call.name),
  );
}

/** The text after `is forbidden: `, worded as the real authorization filter words it. */
export function forbiddenReason(call: RecordedCall): string {
  const resource = call.subresource ? `${call.resource}/${call.subresource}` : call.resource;
  const where =
    call.namespace !== undefined && call.namespace !== ""
      ? `in the namespace "${call.namespace}"`
      : "at the cluster scope";
  return `User "${call.user}" cannot ${call.verb} resource "${resource}" in API group "${call.apiGroup}" ${where}`;
}

export class Authorizer {
  private readonly tokens = new Map<string, string>();
  private readonly rules = new Map<string, UserRules>();

  addUser(name: string, token: string): void {
    for (const [t, u] of this.tokens) if (u === name) this.tokens.delete(t);
    this.tokens.set(token, name);
  }

  tokenOf(user: string): string | undefined {
    for (const [t, u] of this.tokens) if (u === user) return t;
    return undefined;
  }

  /** The user a request's Authorization header names, or undefined (401). */
  authenticate(header: string | undefined): string | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    return m ? this.tokens.get(m[1]!) : undefined;
  }

  setRules(user: string, rules: UserRules): void {
    this.rules.set(user, rules);
  }

  /** Users without rules set are allowed everything (admin included). */
  allows(call: RecordedCall): boolean {
    const r = this.rules.get(call.user);
    if (r === undefined) return true;
    if (ruleAllows(r.cluster ?? [], call)) return true;
    const ns = call.namespace;
    return ns !== undefined && ns !== "" && ruleAllows(r.namespaced?.[ns] ?? [], call);
  }

  forbidden(call: RecordedCall): ReturnType<typeof forbidden> {
    return forbidden(call.apiGroup, call.resource, call.name ?? "", forbiddenReason(call));
  }
}
