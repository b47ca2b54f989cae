// CustomResourceDefinitions: what the server fills in on a CRD (defaults, the
// Established condition) and the resource types a CRD makes served.

import { type FieldProblem, invalid } from "./errors";
import { isObject, type JsonObject, kubeTimestamp, objectAt, stringAt } from "./json";
import { crdPrinter, type PrinterColumnSpec } from "./printers";
import { CRD_GROUP, PATCH_APPLY, PATCH_JSON, PATCH_MERGE, type ResourceType } from "./resource-types";
import type { KubeObject } from "./types";

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function versionsOf(spec: JsonObject): JsonObject[] {
  const v = spec["versions"];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/** Defaults a real server applies to a v1 CRD (names.singular, listKind, conversion). Mutates `crd`. */
export function defaultCrd(crd: KubeObject): void {
  const spec = objectAt(crd, "spec");
  if (!spec) return;
  const names = objectAt(spec, "names");
  if (names) {
    const kind = stringAt(names, "kind");
    if (kind !== undefined) {
      if (stringAt(names, "singular") === undefined) names["singular"] = kind.toLowerCase();
      if (stringAt(names, "listKind") === undefined) names["listKind"] = `${kind}List`;
    }
  }
  if (!isObject(spec["conversion"])) spec["conversion"] = { strategy: "None" };
}

export function validateCrd(crd: KubeObject): void {
  const name = crd.metadata.name ?? "";
  const spec = objectAt(crd, "spec") ?? {};
  const names = objectAt(spec, "names") ?? {};
  const problems: FieldProblem[] = [];
  const group = stringAt(spec, "group") ?? "";
  const plural = stringAt(names, "plural") ?? "";
  if (group === "")
    problems.push({ field: "spec.group", detail: "Required value", reason: "FieldValueRequired" });
  if (plural === "")
    problems.push({ field: "spec.names.plural", detail: "Required value", reason: "FieldValueRequired" });
  if ((stringAt(names, "kind") ?? "") === "")
    problems.push({ field: "spec.names.kind", detail: "Required value", reason: "FieldValueRequired" });
  const scope = stringAt(spec, "scope");
  if (scope !== "Cluster" && scope !== "Namespaced")
    problems.push({
      field: "spec.scope",
      detail: `Unsupported value: "${scope ?? ""}": supported values: "Cluster", "Namespaced"`,
      reason: "FieldValueNotSupported",
    });
  if (group !== "" && plural !== "" && name !== `${plural}.${group}`)
    problems.push({
      field: "metadata.name",
      detail: `Invalid value: "${name}": must be spec.names.plural+"."+spec.group`,
    });
  const versions = versionsOf(spec);
  if (versions.length === 0)
    problems.push({
      field: "spec.versions",
      detail: "Invalid value: null: must have exactly one version marked as storage version",
    });
  else if (versions.filter((v) => v["storage"] === true).length !== 1)
    problems.push({
      field: "spec.versions",
      detail: `Invalid value: ${JSON.stringify(versions)}: must have exactly one version marked as storage version`,
    });
  if (problems.length > 0) throw invalid(CRD_GROUP, "CustomResourceDefinition", name, problems);
}

/** The status the apiextensions controllers write once the names are accepted. */
export function establishedStatus(crd: KubeObject, previous: unknown): JsonObject {
  const spec = objectAt(crd, "spec") ?? {};
  const now = kubeTimestamp();
  const storage = versionsOf(spec).find((v) => v["storage"] === true);
  const stored = new Set(strings(isObject(previous) ? previous["storedVersions"] : undefined));
  const storageName = stringAt(storage, "name");
  if (storageName !== undefined) stored.add(storageName);
  const prevConditions =
    isObject(previous) && Array.isArray(previous["conditions"]) ? previous["conditions"] : [];
  const since = (type: string): string => {
    const c = prevConditions.find((x) => isObject(x) && x["type"] === type);
    return isObject(c) && typeof c["lastTransitionTime"] === "string" ? c["lastTransitionTime"] : now;
  };
  return {
    conditions: [
      {
        type: "NamesAccepted",
        status: "True",
        lastTransitionTime: since("NamesAccepted"),
        reason: "NoConflicts",
        message: "no conflicts found",
      },
      {
        type: "Established",
        status: "True",
        lastTransitionTime: since("Established"),
        reason: "InitialNamesAccepted",
        message: "the initial names have been accepted",
      },
    ],
    acceptedNames: objectAt(spec, "names") ?? {},
    storedVersions: [...stored],
  };
}

function columnsOf(version: JsonObject): PrinterColumnSpec[] {
  const raw = version["additionalPrinterColumns"];
  if (!Array.isArray(raw)) return [];
  const out: PrinterColumnSpec[] = [];
  for (const c of raw) {
    if (!isObject(c)) continue;
    const name = stringAt(c, "name");
    const jsonPath = stringAt(c, "jsonPath");
    if (name === undefined || jsonPath === undefined) continue;
    const spec: PrinterColumnSpec = { name, jsonPath, type: stringAt(c, "type") ?? "string" };
    const format = stringAt(c, "format");
    if (format !== undefined) spec.format = format;
    const description = stringAt(c, "description");
    if (description !== undefined) spec.description = description;
    if (typeof c["priority"] === "number") spec.priority = c["priority"];
    out.push(spec);
  }
  return out;
}

function selectableFields(version: JsonObject): string[] {
  const raw = version["selectableFields"];
  if (!Array.isArray(raw)) return [];
  return raw
    .filter(isObject)
    .map((f) => stringAt(f, "jsonPath"))
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/^\./, ""));
}

/** One resource type per served version; all share the CRD's storage bucket. */
export function resourcesOfCrd(crd: KubeObject): ResourceType[] {
  const spec = objectAt(crd, "spec") ?? {};
  const names = objectAt(spec, "names") ?? {};
  const group = stringAt(spec, "group") ?? "";
  const plural = stringAt(names, "plural") ?? "";
  const kind = stringAt(names, "kind") ?? "";
  const out: ResourceType[] = [];
  const storageVersion =
    stringAt(
      versionsOf(spec).find((v) => v["storage"] === true),
      "name",
    ) ?? "";
  const storedApiVersion = `${group}/${storageVersion}`;
  for (const v of versionsOf(spec)) {
    const version = stringAt(v, "name");
    if (version === undefined || v["served"] !== true) continue;
    const subresources = objectAt(v, "subresources") ?? objectAt(spec, "subresources");
    const apiVersion = `${group}/${version}`;
    out.push({
      group,
      version,
      plural,
      singular: stringAt(names, "singular") ?? kind.toLowerCase(),
      kind,
      listKind: stringAt(names, "listKind") ?? `${kind}List`,
      namespaced: stringAt(spec, "scope") === "Namespaced",
      shortNames: strings(names["shortNames"]),
      categories: strings(names["categories"]),
      statusSubresource: subresources !== undefined && isObject(subresources["status"]),
      storageKey: `${group}/${plural}`,
      tracksGeneration: true,
      requiresResourceVersionOnUpdate: true,
      allowCreateOnUpdate: false,
      returnsDeletedObject: true,
      patchTypes: [PATCH_JSON, PATCH_MERGE, PATCH_APPLY],
      printer: crdPrinter(columnsOf(v)),
      fieldLabels: selectableFields(v),
      custom: true,
      crdName: crd.metadata.name ?? "",
      // conversion strategy None: versions differ only in apiVersion
      toVersion: (stored) => ({ ...stored, apiVersion }),
      fromVersion: (obj) => ({ ...obj, apiVersion: storedApiVersion }),
    });
  }
  return out;
}
