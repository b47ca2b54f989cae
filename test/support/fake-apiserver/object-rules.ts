// Kind-specific rules a real server applies on every write, limited to those
// a test of flatroute can notice: Secret stringData folding, Namespace
// defaults, Node podCIDR(s) mirroring and immutability, CRD defaults and the
// Established status (written at once instead of by a controller a moment later).

import { defaultCrd, establishedStatus, validateCrd } from "./crd";
import { invalid } from "./errors";
import { deepEqual, isObject, objectAt } from "./json";
import type { ResourceType } from "./resource-types";
import type { KubeObject } from "./types";

function foldStringData(obj: KubeObject): void {
  const stringData = objectAt(obj, "stringData");
  if (stringData) {
    const data = { ...(objectAt(obj, "data") ?? {}) };
    for (const [k, v] of Object.entries(stringData)) {
      if (typeof v === "string") data[k] = Buffer.from(v, "utf8").toString("base64");
    }
    obj["data"] = data;
    delete obj["stringData"];
  }
  if (typeof obj["type"] !== "string" || obj["type"] === "") obj["type"] = "Opaque";
}

function mirrorPodCidrs(obj: KubeObject): void {
  const spec = objectAt(obj, "spec");
  if (!spec) return;
  const cidrs = spec["podCIDRs"];
  if (Array.isArray(cidrs) && cidrs.length > 0) spec["podCIDR"] = cidrs[0];
  else if (typeof spec["podCIDR"] === "string" && spec["podCIDR"] !== "")
    spec["podCIDRs"] = [spec["podCIDR"]];
}

function podCidrsOf(obj: KubeObject): unknown[] {
  const cidrs = objectAt(obj, "spec")?.["podCIDRs"];
  return Array.isArray(cidrs) ? cidrs : [];
}

/** spec.finalizers is the server's to set: ["kubernetes"] on create, unchanged by updates. */
function namespaceDefaults(obj: KubeObject, old: KubeObject | undefined): void {
  const name = obj.metadata.name ?? "";
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), "kubernetes.io/metadata.name": name };
  const spec = { ...(objectAt(obj, "spec") ?? {}) };
  spec["finalizers"] =
    old === undefined ? ["kubernetes"] : (objectAt(old, "spec")?.["finalizers"] ?? ["kubernetes"]);
  obj["spec"] = spec;
  const status = objectAt(obj, "status") ?? {};
  if (typeof status["phase"] !== "string") status["phase"] = "Active";
  obj["status"] = status;
}

export function prepareCreate(rt: ResourceType, obj: KubeObject): void {
  if (rt.custom) return;
  switch (rt.kind) {
    case "Secret":
      foldStringData(obj);
      break;
    case "Namespace":
      namespaceDefaults(obj, undefined);
      break;
    case "Node":
      mirrorPodCidrs(obj);
      break;
    case "CustomResourceDefinition":
      defaultCrd(obj);
      validateCrd(obj);
      obj["status"] = establishedStatus(obj, undefined);
      break;
  }
}

export function prepareUpdate(rt: ResourceType, obj: KubeObject, old: KubeObject): void {
  if (rt.custom) return;
  switch (rt.kind) {
    case "Secret":
      foldStringData(obj);
      break;
    case "Namespace":
      namespaceDefaults(obj, old);
      break;
    case "Node": {
      mirrorPodCidrs(obj);
      const before = podCidrsOf(old);
      if (before.length > 0 && !deepEqual(before, podCidrsOf(obj))) {
        throw invalid("", "Node", obj.metadata.name ?? "", [
          {
            field: "spec.podCIDRs",
            detail: 'Forbidden: node updates may not change podCIDR except from "" to valid',
            reason: "FieldValueForbidden",
          },
        ]);
      }
      break;
    }
    case "CustomResourceDefinition":
      defaultCrd(obj);
      validateCrd(obj);
      obj["status"] = establishedStatus(obj, isObject(old["status"]) ? old["status"] : undefined);
      break;
  }
}
