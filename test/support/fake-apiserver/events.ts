// events.k8s.io/v1 Events are the core v1 Events under other field names, one
// storage for both as in a real server: an Event posted through either API is
// listed and watched through both.

import type { JsonObject } from "./json";
import { eventPrinter } from "./printers";
import type { KubeObject } from "./types";

/** events.k8s.io/v1 name -> core/v1 name; the remaining fields share their names. */
const RENAMED: Array<[string, string]> = [
  ["regarding", "involvedObject"],
  ["note", "message"],
  ["reportingController", "reportingComponent"],
  ["deprecatedSource", "source"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"],
  ["deprecatedCount", "count"],
];

function rename(o: KubeObject, pairs: Array<[string, string]>, apiVersion: string): KubeObject {
  const out: JsonObject = { ...o, apiVersion };
  for (const [from, to] of pairs) {
    if (!Object.hasOwn(out, from)) continue;
    out[to] = out[from];
    delete out[from];
  }
  return out as KubeObject;
}

export function eventToV1(core: KubeObject): KubeObject {
  return rename(
    core,
    RENAMED.map(([v1, c]) => [c, v1]),
    "events.k8s.io/v1",
  );
}

export function eventFromV1(v1: KubeObject): KubeObject {
  return rename(v1, RENAMED, "v1");
}

export const eventsV1Printer = {
  columns: eventPrinter.columns,
  cells: (o: KubeObject, now: number) => eventPrinter.cells(eventFromV1(o), now),
};
