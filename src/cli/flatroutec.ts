#!/usr/bin/env node
// flatroutec: commands to a running flatroute agent over its control socket,
// printed the way birdc prints them (or as JSON with --json): one-shot with
// the command on the command line, or at a prompt (interactive.ts) without.
import { ControlConnection, ControlError } from "../control/client";
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
import { commandHelp, parseCommandWords, UsageError } from "./grammar";
import { type Output, printReply } from "./print";

/** Exit codes: 1 the agent refused the command, 2 bad usage, 3 the agent could not be reached. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface Options {
  socket: string;
  json?: boolean;
  interactive?: boolean;
  timeout: string;
}

export interface ParsedArgs {
  options: Options;
  words: string[];
}

/**
 * The arguments every script and probe uses (-s, --json, -i, --timeout, command
 * words), read without commander; undefined for anything else (-h, -V, --,
 * an unknown or malformed option), which commander then parses and words.
 */
export function parseCommonArgs(argv: readonly string[], defaults: Options): ParsedArgs | undefined {
  const options: Options = { ...defaults };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-")) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 && arg.startsWith("--") ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : undefined;
    if (name === "--json" || name === "-i" || name === "--interactive") {
      if (inline !== undefined) return undefined;
      if (name === "--json") options.json = true;
      else options.interactive = true;
    } else if (name === "-s" || name === "--socket" || name === "--timeout") {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("-"))) return undefined;
      if (name === "--timeout") options.timeout = value;
      else options.socket = value;
    } else {
      return undefined;
    }
  }
  return { options, words };
}

export type { Output } from "./print";

/** The terminal for interactive mode; tests pass streams. */
export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function main(
  argv: readonly string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
  terminal?: Terminal,
): Promise<number> {
  const defaults: Options = {
    socket: process.env.FLATROUTE_SOCKET ?? DEFAULT_CONTROL_SOCKET,
    timeout: "10000",
  };
  let parsed = parseCommonArgs(argv, defaults);
  if (parsed === undefined) {
    // Help, version, a usage error: commander's wording. Loaded only then, because
    // it costs a one-shot command (a script, a monitoring probe) a sixth of its run.
    const { parseWithCommander } = await import("./flatroutec-options.js");
    const r = parseWithCommander(argv, defaults, out, err);
    if (typeof r === "number") return r === 0 ? EXIT.ok : EXIT.usage;
    parsed = r;
  }
  const { options: opts, words } = parsed;
  if (words.length === 1 && words[0] === "help") {
    out.write(`Commands:\n${commandHelp()}\n`);
    return EXIT.ok;
  }
  const timeoutMs = Number(opts.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    err.write(`flatroutec: --timeout: expected milliseconds, got "${opts.timeout}"\n`);
    return EXIT.usage;
  }
  if (opts.interactive || words.length === 0) {
    if (words.length > 0) {
      err.write("flatroutec: -i takes no command words; type them at the prompt\n");
      return EXIT.usage;
    }
    // Loaded only for the prompt: a one-shot command (a script, a monitoring probe) starts faster without it.
    const { runInteractive } = await import("./interactive.js");
    // process.stdin is read here, not as a default argument: touching it costs a one-shot command 3 ms.
    const { input, output } = terminal ?? { input: process.stdin, output: process.stdout };
    return runInteractive({ socket: opts.socket, json: opts.json ?? false, timeoutMs, input, output });
  }

  try {
    const parsed = parseCommandWords(words);
    const conn = await ControlConnection.connect(opts.socket, { timeoutMs });
    try {
      await printReply(conn, parsed, out, {
        json: opts.json ?? false,
        time: { now: new Date() },
        request: { timeoutMs },
      });
    } finally {
      conn.close();
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`flatroutec: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof ControlError) {
      err.write(`flatroutec: ${e.message}\n`);
      return e.kind === "reply" ? EXIT.failed : EXIT.unreachable;
    }
    throw e;
  }
}

if (require.main === module) {
  // `flatroutec show route | head`: the reader went away; stop quietly, as other CLIs do.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`flatroutec: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
