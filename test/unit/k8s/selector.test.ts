import assert from "node:assert/strict";
import type { LabelSelector } from "../../../src/k8s/resources";
import { matchesSelector, validateSelector } from "../../../src/k8s/selector";

const labels = { rack: "r1", role: "worker", "topology.flatroute.io/zone": "a" };

describe("label selectors", () => {
  const cases: Array<[string, LabelSelector | undefined, Record<string, string> | undefined, boolean]> = [
    ["an absent selector matches every object", undefined, labels, true],
    ["an absent selector matches objects without labels", undefined, undefined, true],
    ["an empty selector matches every object", {}, labels, true],
    ["an empty selector matches objects without labels", {}, undefined, true],
    ["matchLabels: equal value", { matchLabels: { rack: "r1" } }, labels, true],
    ["matchLabels: other value", { matchLabels: { rack: "r2" } }, labels, false],
    ["matchLabels: missing key", { matchLabels: { spine: "s1" } }, labels, false],
    ["matchLabels: every pair must hold", { matchLabels: { rack: "r1", role: "master" } }, labels, false],
    ["matchLabels: prefixed keys", { matchLabels: { "topology.flatroute.io/zone": "a" } }, labels, true],
    [
      "In: value listed",
      { matchExpressions: [{ key: "rack", operator: "In", values: ["r0", "r1"] }] },
      labels,
      true,
    ],
    [
      "In: value not listed",
      { matchExpressions: [{ key: "rack", operator: "In", values: ["r2"] }] },
      labels,
      false,
    ],
    [
      "In: key absent",
      { matchExpressions: [{ key: "spine", operator: "In", values: ["x"] }] },
      labels,
      false,
    ],
    [
      "NotIn: value listed",
      { matchExpressions: [{ key: "rack", operator: "NotIn", values: ["r1"] }] },
      labels,
      false,
    ],
    [
      "NotIn: value not listed",
      { matchExpressions: [{ key: "rack", operator: "NotIn", values: ["r2"] }] },
      labels,
      true,
    ],
    [
      "NotIn: key absent matches",
      { matchExpressions: [{ key: "spine", operator: "NotIn", values: ["x"] }] },
      labels,
      true,
    ],
    ["Exists: present", { matchExpressions: [{ key: "role", operator: "Exists" }] }, labels, true],
    ["Exists: absent", { matchExpressions: [{ key: "spine", operator: "Exists" }] }, labels, false],
    [
      "DoesNotExist: absent",
      { matchExpressions: [{ key: "spine", operator: "DoesNotExist" }] },
      labels,
      true,
    ],
    [
      "DoesNotExist: present",
      { matchExpressions: [{ key: "rack", operator: "DoesNotExist" }] },
      labels,
      false,
    ],
    [
      "DoesNotExist: no labels at all",
      { matchExpressions: [{ key: "rack", operator: "DoesNotExist" }] },
      undefined,
      true,
    ],
    [
      "matchLabels and matchExpressions must both hold",
      {
        matchLabels: { rack: "r1" },
        matchExpressions: [{ key: "role", operator: "In", values: ["master"] }],
      },
      labels,
      false,
    ],
    [
      "an unknown operator matches nothing",
      { matchExpressions: [{ key: "rack", operator: "Equals" as "In", values: ["r1"] }] },
      labels,
      false,
    ],
    [
      "a label named like an Object.prototype key is not inherited",
      { matchLabels: { toString: "x" } },
      {},
      false,
    ],
  ];
  for (const [name, selector, objectLabels, expected] of cases) {
    it(name, () => assert.equal(matchesSelector(selector, objectLabels), expected));
  }

  it("reports bad operators, missing or extra values and malformed labels", () => {
    const selector = {
      matchLabels: { "bad key!": "x", rack: "-r1" },
      matchExpressions: [
        { key: "rack", operator: "In", values: [] },
        { key: "rack", operator: "Exists", values: ["r1"] },
        { key: "rack", operator: "Equals", values: ["r1"] },
        { key: "a/b/c", operator: "NotIn" },
        { key: "rack", operator: "In", values: ["ok", "not ok"] },
      ],
    } as unknown as LabelSelector;
    assert.deepEqual(validateSelector(selector, ["spec", "nodeSelector"]), [
      'spec.nodeSelector.matchLabels: expected a label key: [prefix/]name, name at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric, got "bad key!"',
      'spec.nodeSelector.matchLabels.rack: expected a label value: at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric, got "-r1"',
      "spec.nodeSelector.matchExpressions[0].values: expected at least one value with operator In",
      'spec.nodeSelector.matchExpressions[1].values: must be empty with operator Exists, got ["r1"]',
      'spec.nodeSelector.matchExpressions[2].operator: expected one of In, NotIn, Exists, DoesNotExist, got "Equals"',
      'spec.nodeSelector.matchExpressions[3].key: expected a label key: [prefix/]name, name at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric, got "a/b/c"',
      "spec.nodeSelector.matchExpressions[3].values: expected at least one value with operator NotIn",
      'spec.nodeSelector.matchExpressions[4].values[1]: expected a label value: at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric, got "not ok"',
    ]);
  });

  it("accepts well-formed selectors, including empty values and prefixed keys", () => {
    assert.deepEqual(
      validateSelector({
        matchLabels: { "topology.kubernetes.io/zone": "eu-1a", empty: "" },
        matchExpressions: [
          { key: "node-role.kubernetes.io/control-plane", operator: "DoesNotExist" },
          { key: "rack", operator: "NotIn", values: ["r9", ""] },
        ],
      }),
      [],
    );
  });
});
