// How flatroutec prints a reply as it arrives: a streamed "show route" line
// by line (text or JSON), anything else whole once complete. The text is the
// same as renderText (or JSON.stringify(data, null, 2)) of the whole reply.
import type { RouteView } from "../bgp/speaker-api";
import type { ChunkHandler, ControlConnection, RequestOptions } from "../control/client";
import { RouteText } from "./format/routes";
import type { TimeOptions } from "./format/time";
import type { ParsedCommand } from "./grammar";
import { renderText } from "./render";

export interface Output {
  write(text: string | Uint8Array): unknown;
}

interface Printer {
  /** Text for one chunk of the reply (bytes: text the agent sent as bytes, whole lines). */
  chunk(data: unknown): string | Uint8Array;
  /** Text after the last chunk. */
  end(): string;
}

function isRouteListing(parsed: ParsedCommand): boolean {
  return parsed.spec.name === "show route" && !parsed.args.count;
}

/** A route listing prints chunk by chunk; other replies whole (they are one chunk). */
function printerFor(parsed: ParsedCommand, json: boolean, o: TimeOptions): Printer {
  if (isRouteListing(parsed)) return json ? jsonArrayPrinter() : routeTextPrinter(parsed, o);
  let data: unknown;
  return {
    chunk: (d) => {
      data = d;
      return "";
    },
    end: () => `${json ? JSON.stringify(data, null, 2) : renderText(parsed, data, o)}\n`,
  };
}

/**
 * Text lines the agent rendered (bytes or strings) are printed as they are;
 * routes (an agent that does not render, or a single reply) are rendered here.
 */
function routeTextPrinter(parsed: ParsedCommand, o: TimeOptions): Printer {
  const text = new RouteText({ ...o, all: parsed.display.has("all") });
  let printed = false;
  return {
    chunk: (d) => {
      if (d instanceof Uint8Array) {
        if (d.length > 0) printed = true;
        return d;
      }
      const items = d as (RouteView | string)[];
      if (items.length > 0 && typeof items[0] === "string") {
        const out = (items as string[]).join("");
        if (out !== "") printed = true;
        return out;
      }
      return text.push(items as RouteView[]);
    },
    // An empty listing prints one empty line, as the whole-reply rendering does.
    end: () => (text.started || printed ? "" : "\n"),
  };
}

/** The output of JSON.stringify(array, null, 2), an element at a time. */
function jsonArrayPrinter(): Printer {
  let started = false;
  return {
    chunk: (d) => {
      let out = "";
      for (const item of d as unknown[]) {
        out += started ? ",\n" : "[\n";
        started = true;
        out += `  ${JSON.stringify(item, null, 2).replace(/\n/g, "\n  ")}`;
      }
      return out;
    },
    end: () => (started ? "\n]\n" : "[]\n"),
  };
}

/** Writes, and when the output is full (a slow pipe, a paused terminal), waits until it drains. */
function write(out: Output, text: string | Uint8Array): void | Promise<void> {
  if (text.length === 0) return;
  const room = out.write(text);
  const stream = out as Partial<NodeJS.WritableStream>;
  if (room !== false || typeof stream.once !== "function") return;
  return new Promise((resolve) => stream.once!("drain", () => resolve()));
}

/** Runs one command on `conn` and prints its reply to `out` as it arrives. */
export async function printReply(
  conn: ControlConnection,
  parsed: ParsedCommand,
  out: Output,
  o: { json: boolean; time: TimeOptions; request: RequestOptions },
): Promise<void> {
  const printer = printerFor(parsed, o.json, o.time);
  const onChunk: ChunkHandler = (data) => write(out, printer.chunk(data));
  // A text listing is rendered by the agent (flatroutec then only copies lines, as birdc does).
  const args =
    isRouteListing(parsed) && !o.json
      ? { ...parsed.args, render: parsed.display.has("all") ? "text all" : "text" }
      : parsed.args;
  // Text chunks come as bytes, written out as they are.
  await conn.stream(parsed.spec.name, args, onChunk, { ...o.request, bytes: true });
  await write(out, printer.end());
}
