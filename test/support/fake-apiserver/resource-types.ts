// What the server knows about each kind of resource it serves. Built-in kinds
// are declared here; custom resources get theirs from their CRD (crd.ts).

import { eventFromV1, eventsV1Printer, eventToV1 } from "./events";
import {
  configMapPrinter,
  defaultPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  type Printer,
  secretPrinter,
} from "./printers";
import type { KubeObject } from "./types";

export const PATCH_JSON = "application/json-patch+json";
export const PATCH_MERGE = "application/merge-patch+json";
export const PATCH_STRATEGIC = "application/strategic-merge-patch+json";
export const PATCH_APPLY = "application/apply-patch+yaml";

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  statusSubresource: boolean;
  /** One bucket per resource whatever the version it is read at (core and events.k8s.io Events share one). */
  storageKey: string;
  /** metadata.generation is kept and bumped on changes outside metadata (and status, with the subresource). */
  tracksGeneration: boolean;
  /** A PUT without metadata.resourceVersion is refused (custom resources, CRDs). */
  requiresResourceVersionOnUpdate: boolean;
  /** PUT to a missing name creates it (Events). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object instead of a Status (custom resources, CRDs). */
  returnsDeletedObject: boolean;
  /** Accepted PATCH media types; custom resources have no strategic merge patch. */
  patchTypes: string[];
  printer: Printer;
  /** Field selector labels besides metadata.name and metadata.namespace. */
  fieldLabels: string[];
  /** Custom resources word an unsupported field selector differently. */
  custom: boolean;
  /** Name of the CRD that defines this resource. */
  crdName?: string;
  /** Stored shape -> this version's shape (apiVersion at least). */
  toVersion?(stored: KubeObject): KubeObject;
  /** This version's shape -> stored shape. */
  fromVersion?(obj: KubeObject): KubeObject;
}

export function apiVersionOf(rt: Pick<ResourceType, "group" | "version">): string {
  return rt.group === "" ? rt.version : `${rt.group}/${rt.version}`;
}

function builtin(
  group: string,
  version: string,
  plural: string,
  kind: string,
  rest: Partial<ResourceType> & { namespaced: boolean; printer: Printer },
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    storageKey: `${group}/${plural}`,
    tracksGeneration: false,
    requiresResourceVersionOnUpdate: false,
    allowCreateOnUpdate: false,
    returnsDeletedObject: false,
    patchTypes: [PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC, PATCH_APPLY],
    fieldLabels: [],
    custom: false,
    ...rest,
  };
}

export const CRD_GROUP = "apiextensions.k8s.io";
export const CRD_PLURAL = "customresourcedefinitions";

function eventsV1(): ResourceType {
  return builtin("events.k8s.io", "v1", "events", "Event", {
    namespaced: true,
    shortNames: ["ev"],
    storageKey: "/events",
    allowCreateOnUpdate: true,
    printer: eventsV1Printer,
    toVersion: eventToV1,
    fromVersion: eventFromV1,
  });
}

export function builtinResources(): ResourceType[] {
  return [
    builtin("", "v1", "configmaps", "ConfigMap", {
      namespaced: true,
      shortNames: ["cm"],
      printer: configMapPrinter,
    }),
    builtin("", "v1", "events", "Event", {
      namespaced: true,
      shortNames: ["ev"],
      allowCreateOnUpdate: true,
      printer: eventPrinter,
      fieldLabels: [
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
      ],
    }),
    builtin("", "v1", "namespaces", "Namespace", {
      namespaced: false,
      shortNames: ["ns"],
      statusSubresource: true,
      printer: namespacePrinter,
      fieldLabels: ["status.phase"],
    }),
    builtin("", "v1", "nodes", "Node", {
      namespaced: false,
      shortNames: ["no"],
      statusSubresource: true,
      printer: nodePrinter,
      fieldLabels: ["spec.unschedulable"],
    }),
    builtin("", "v1", "secrets", "Secret", {
      namespaced: true,
      printer: secretPrinter,
      fieldLabels: ["type"],
    }),
    builtin(CRD_GROUP, "v1", CRD_PLURAL, "CustomResourceDefinition", {
      namespaced: false,
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      statusSubresource: true,
      tracksGeneration: true,
      requiresResourceVersionOnUpdate: true,
      returnsDeletedObject: true,
      printer: defaultPrinter,
    }),
    eventsV1(),
  ];
}
