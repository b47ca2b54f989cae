// Request bodies in, JSON out, and Accept negotiation for the two non-plain
// answers kubectl and metadata informers ask for (Table, PartialObjectMetadata).

import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApiError, badRequest, notAcceptable } from "./errors";

const MAX_BODY = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req)).toString("utf8");
}

export async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_BODY) throw badRequest("request entity too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw badRequest(`error decoding request body: ${detail}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache, private",
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.code, err.status);
}

export type Rendering =
  | { as: "object" }
  | { as: "table"; version: "v1" | "v1beta1" }
  | { as: "metadata"; version: "v1" | "v1beta1" };

/**
 * The first acceptable media type wins, as in the real negotiation: kubectl
 * lists Table first and plain JSON as fallback.
 */
export function negotiate(accept: string | undefined): Rendering {
  if (accept === undefined || accept.trim() === "") return { as: "object" };
  for (const clause of accept.split(",")) {
    const [type, ...params] = clause.split(";").map((s) => s.trim());
    const p = new Map<string, string>();
    for (const kv of params) {
      const i = kv.indexOf("=");
      if (i > 0) p.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
    }
    if (type !== "application/json" && type !== "*/*" && type !== "application/*") continue;
    const as = p.get("as");
    if (as === undefined) return { as: "object" };
    if (p.get("g") !== "meta.k8s.io") continue;
    const version = p.get("v");
    if (version !== "v1" && version !== "v1beta1") continue;
    if (as === "Table") return { as: "table", version };
    if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList")
      return { as: "metadata", version };
  }
  throw notAcceptable();
}

export function queryFlag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === "true" || v === "1";
}
