// Server-side table printers: what `kubectl get` shows comes from the server
// (meta.k8s.io Table), so the columns and cell texts below follow
// kubernetes/pkg/printers/internalversion for the built-in kinds, the CRD
// table convertor for custom resources, and the default convertor (Name,
// Created At) for everything else.

import { ageOf } from "./duration";
import { isObject, type JsonObject, objectAt, stringAt } from "./json";
import { evaluate, type PathStep, parseSimpleJsonPath, printJsonPathValue } from "./jsonpath";
import type { KubeObject } from "./types";

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: number): unknown[];
}

export interface PrinterColumnSpec {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const NAME_DESCRIPTION =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATION_DESCRIPTION =
  "CreationTimestamp is a timestamp representing the server time when this object was created.";

function col(name: string, type: string, priority = 0, format = "", description = ""): TableColumnDefinition {
  return { name, type, format, description, priority };
}

const nameColumn = (): TableColumnDefinition => col("Name", "string", 0, "name", NAME_DESCRIPTION);
const ageColumn = (): TableColumnDefinition => col("Age", "string", 0, "", CREATION_DESCRIPTION);

function age(obj: KubeObject, now: number): string {
  return ageOf(obj.metadata.creationTimestamp, now);
}

function section(obj: KubeObject, key: string): JsonObject {
  return objectAt(obj, key) ?? {};
}

function nodeStatus(obj: KubeObject): string {
  const conditions = section(obj, "status")["conditions"];
  let ready = "Unknown";
  if (Array.isArray(conditions)) {
    for (const c of conditions) {
      if (isObject(c) && c["type"] === "Ready") ready = c["status"] === "True" ? "Ready" : "NotReady";
    }
  }
  return section(obj, "spec")["unschedulable"] === true ? `${ready},SchedulingDisabled` : ready;
}

function nodeRoles(obj: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role !== "") roles.add(role);
    } else if (k === "kubernetes.io/role" && v !== "") roles.add(v);
  }
  return roles.size === 0 ? "<none>" : [...roles].sort().join(",");
}

function nodeAddress(obj: KubeObject, type: string): string {
  const addresses = section(obj, "status")["addresses"];
  if (Array.isArray(addresses)) {
    for (const a of addresses) {
      if (isObject(a) && a["type"] === type && typeof a["address"] === "string") return a["address"];
    }
  }
  return "<none>";
}

function nodeInfo(obj: KubeObject, key: string, missing: string): string {
  const v = stringAt(objectAt(section(obj, "status"), "nodeInfo"), key);
  return v === undefined || v === "" ? missing : v;
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    col("Status", "string", 0, "", "The status of the node"),
    col("Roles", "string", 0, "", "The roles of the node"),
    ageColumn(),
    col("Version", "string", 0, "", "Kubelet Version reported by the node."),
    col("Internal-IP", "string", 1, "", "List of addresses reachable to the node."),
    col("External-IP", "string", 1, "", "List of addresses reachable to the node."),
    col("OS-Image", "string", 1, "", "OS Image reported by the node from /etc/os-release."),
    col("Kernel-Version", "string", 1, "", "Kernel Version reported by the node."),
    col("Container-Runtime", "string", 1, "", "ContainerRuntime Version reported by the node."),
  ],
  cells: (obj, now) => [
    obj.metadata.name,
    nodeStatus(obj),
    nodeRoles(obj),
    age(obj, now),
    nodeInfo(obj, "kubeletVersion", ""),
    nodeAddress(obj, "InternalIP"),
    nodeAddress(obj, "ExternalIP"),
    nodeInfo(obj, "osImage", "<unknown>"),
    nodeInfo(obj, "kernelVersion", "<unknown>"),
    nodeInfo(obj, "containerRuntimeVersion", "<unknown>"),
  ],
};

export const namespacePrinter: Printer = {
  columns: [nameColumn(), col("Status", "string", 0, "", "The status of the namespace"), ageColumn()],
  cells: (obj, now) => [obj.metadata.name, stringAt(section(obj, "status"), "phase") ?? "", age(obj, now)],
};

function dataCount(obj: KubeObject): number {
  const data = objectAt(obj, "data");
  const binary = objectAt(obj, "binaryData");
  return (data ? Object.keys(data).length : 0) + (binary ? Object.keys(binary).length : 0);
}

export const secretPrinter: Printer = {
  columns: [
    nameColumn(),
    col("Type", "string", 0, "", "The type of the secret"),
    col("Data", "string", 0, "", "The number of entries in the secret data"),
    ageColumn(),
  ],
  cells: (obj, now) => [obj.metadata.name, stringAt(obj, "type") ?? "", dataCount(obj), age(obj, now)],
};

export const configMapPrinter: Printer = {
  columns: [
    nameColumn(),
    col("Data", "string", 0, "", "The number of entries in the configmap data"),
    ageColumn(),
  ],
  cells: (obj, now) => [obj.metadata.name, dataCount(obj), age(obj, now)],
};

function eventLastSeen(obj: KubeObject, now: number): string {
  const series = objectAt(obj, "series");
  const t =
    stringAt(series, "lastObservedTime") ??
    stringAt(obj, "lastTimestamp") ??
    stringAt(obj, "eventTime") ??
    obj.metadata.creationTimestamp;
  return ageOf(t, now);
}

export const eventPrinter: Printer = {
  columns: [
    col("Last Seen", "string", 0, "", "Time when last event occurred"),
    col(
      "Type",
      "string",
      0,
      "",
      "Type of this event (Normal, Warning), new types could be added in the future.",
    ),
    col(
      "Reason",
      "string",
      0,
      "",
      "Short, machine understandable string that gives the reason for the event.",
    ),
    col("Object", "string", 0, "", "The object this Event is about."),
    col("Message", "string", 0, "", "A human-readable description of the status of this operation."),
  ],
  cells: (obj, now) => {
    const involved = section(obj, "involvedObject");
    const kind = (stringAt(involved, "kind") ?? "").toLowerCase();
    return [
      eventLastSeen(obj, now),
      stringAt(obj, "type") ?? "",
      stringAt(obj, "reason") ?? "",
      `${kind}/${stringAt(involved, "name") ?? ""}`,
      (stringAt(obj, "message") ?? "").trim(),
    ];
  },
};

/** rest.DefaultTableConvertor, used by CRDs themselves. */
export const defaultPrinter: Printer = {
  columns: [nameColumn(), col("Created At", "date", 0, "", CREATION_DESCRIPTION)],
  cells: (obj) => [obj.metadata.name, obj.metadata.creationTimestamp ?? ""],
};

/** Age is what a CRD without additionalPrinterColumns gets (serveDefaultColumnsIfEmpty). */
export const DEFAULT_CRD_COLUMNS: PrinterColumnSpec[] = [
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: CREATION_DESCRIPTION },
];

function cellFor(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "string":
      return printJsonPathValue(value);
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date":
      return typeof value === "string" ? ageOf(value, now) : null;
    default:
      return null;
  }
}

/** The apiextensions table convertor: Name, then each column's value found by its JSONPath. */
export function crdPrinter(specs: PrinterColumnSpec[]): Printer {
  const used = specs.length === 0 ? DEFAULT_CRD_COLUMNS : specs;
  const paths: Array<PathStep[] | undefined> = used.map((c) => parseSimpleJsonPath(c.jsonPath));
  return {
    columns: [
      nameColumn(),
      ...used.map((c) =>
        col(
          c.name,
          c.type,
          c.priority ?? 0,
          c.format ?? "",
          c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        ),
      ),
    ],
    cells: (obj, now) => {
      const cells: unknown[] = [obj.metadata.name];
      used.forEach((c, i) => {
        const steps = paths[i];
        const found = steps === undefined ? { found: false } : evaluate(steps, obj);
        cells.push(found.found ? cellFor(c.type, found.value, now) : null);
      });
      return cells;
    },
  };
}
