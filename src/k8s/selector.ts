// metav1.LabelSelector, as the API server and kubectl evaluate it: every
// matchLabels pair and every matchExpressions requirement must hold.
import { type KeyPath, problem } from "../config/errors";
import type { LabelSelector, LabelSelectorRequirement } from "./resources";

export const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/**
 * Whether `labels` satisfy `selector`. An empty selector ({}) matches every
 * object, as in Kubernetes. `undefined` also matches everything: BGPPeer's
 * nodeSelector is optional and absent means "every node" (peerSelector is
 * never absent once validated). NotIn and DoesNotExist hold for objects
 * without the label, as in Kubernetes. An unknown operator matches nothing:
 * validation reports it, and a rule nobody can read should select no node
 * rather than all of them.
 */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined) return true;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    if (!requirementHolds(req, have)) return false;
  }
  return true;
}

function requirementHolds(req: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const present = Object.hasOwn(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return present && values.includes(labels[req.key]!);
    case "NotIn":
      return !present || !values.includes(labels[req.key]!);
    case "Exists":
      return present;
    case "DoesNotExist":
      return !present;
    default:
      return false;
  }
}

// Label syntax (k8s.io/apimachinery validation.IsQualifiedName / IsValidLabelValue).
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const KEY_EXPECTED =
  'expected a label key: [prefix/]name, name at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric';
const VALUE_EXPECTED =
  'expected a label value: at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric';

export function isLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME_PART.test(name);
}

export function isLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && NAME_PART.test(value));
}

/**
 * Problems with a selector the type system cannot catch, one line each, key
 * paths below `at`: unknown operators, In/NotIn without values, Exists or
 * DoesNotExist with values, malformed label keys and values.
 */
export function validateSelector(selector: LabelSelector, at: KeyPath = []): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!isLabelKey(key)) out.push(problem([...at, "matchLabels"], KEY_EXPECTED, key));
    else if (!isLabelValue(value)) out.push(problem([...at, "matchLabels", key], VALUE_EXPECTED, value));
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const here = [...at, "matchExpressions", i];
    if (!isLabelKey(req.key)) out.push(problem([...here, "key"], KEY_EXPECTED, req.key));
    const values = req.values ?? [];
    switch (req.operator as string) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          out.push(problem([...here, "values"], `expected at least one value with operator ${req.operator}`));
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          out.push(problem([...here, "values"], `must be empty with operator ${req.operator}`, values));
        }
        break;
      default:
        out.push(problem([...here, "operator"], `expected one of ${OPERATORS.join(", ")}`, req.operator));
    }
    values.forEach((v, k) => {
      if (!isLabelValue(v)) out.push(problem([...here, "values", k], VALUE_EXPECTED, v));
    });
  });
  return out;
}
