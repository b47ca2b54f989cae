// Rendering objects as meta.k8s.io Table (kubectl get) or
// PartialObjectMetadata(List) (metadata-only clients), per the Accept header.

import type { Rendering } from "./http-util";
import type { ResourceType } from "./resource-types";
import type { KubeObject } from "./types";

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

function partial(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

/** includeObject: None, Metadata (the default) or Object. */
export function toTable(
  rt: ResourceType,
  objects: KubeObject[],
  listMeta: ListMeta,
  version: string,
  includeObject: string | null,
  noHeaders: boolean,
): Record<string, unknown> {
  const now = Date.now();
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: rt.printer.cells(o, now) };
    if (includeObject === "Object") row["object"] = o;
    else if (includeObject !== "None") row["object"] = partial(o, version);
    return row;
  });
  const table: Record<string, unknown> = {
    kind: "Table",
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
  };
  if (!noHeaders) table["columnDefinitions"] = rt.printer.columns;
  table["rows"] = rows;
  return table;
}

export function render(
  rt: ResourceType,
  r: Rendering,
  q: URLSearchParams,
  single: KubeObject | undefined,
  list: { items: KubeObject[]; meta: ListMeta } | undefined,
): unknown {
  if (r.as === "table") {
    const objects = single !== undefined ? [single] : (list?.items ?? []);
    const meta: ListMeta =
      single !== undefined ? { resourceVersion: single.metadata.resourceVersion ?? "" } : list!.meta;
    return toTable(rt, objects, meta, r.version, q.get("includeObject"), q.get("noHeaders") === "true");
  }
  if (r.as === "metadata") {
    if (single !== undefined) return partial(single, r.version);
    return {
      kind: "PartialObjectMetadataList",
      apiVersion: `meta.k8s.io/${r.version}`,
      metadata: list!.meta,
      items: list!.items.map((o) => partial(o, r.version)),
    };
  }
  return single;
}
