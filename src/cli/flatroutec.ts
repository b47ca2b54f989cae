#!/usr/bin/env node
// flatroutec: commands to a running flatroute agent over its control socket,
// printed the way birdc prints them (or as JSON with --json): one-shot with
// the command on the command line, or at a prompt (interactive.ts) without.
import { Command } from "commander";
import { ControlConnection, ControlError } from "../control/client";
import { DEFAULT_CONTROL_SOCKET } from "../control/protocol";
import { commandHelp, parseCommandWords, UsageError } from "./grammar";
import { type Output, printReply } from "./print";
import { VERSION } from "./version";

/** Exit codes: 1 the agent refused the command, 2 bad usage, 3 the agent could not be reached. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

interface Options {
  socket: string;
  json?: boolean;
  interactive?: boolean;
  timeout: string;
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
  terminal: Terminal = { input: process.stdin, output: process.stdout },
): Promise<number> {
  const program = new Command("flatroutec")
    .description("Query and control a running flatroute agent")
    .version(VERSION, "-V, --version")
    .option(
      "-s, --socket <path>",
      "control socket of the agent",
      process.env.FLATROUTE_SOCKET ?? DEFAULT_CONTROL_SOCKET,
    )
    .option("--json", "print the reply data as JSON")
    .option("-i, --interactive", "open the flatroute> prompt (the default when no command is given)")
    .option("--timeout <ms>", "how long to wait for the agent", "10000")
    .argument(
      "[command...]",
      "command words, abbreviations allowed (sh pro = show protocols); none opens the prompt",
    )
    .addHelpText("after", `\nCommands:\n${commandHelp()}\n`)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });

  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? EXIT.ok : EXIT.usage;
  }
  const opts = program.opts<Options>();
  const words = program.args;
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
    return runInteractive({ socket: opts.socket, json: opts.json ?? false, timeoutMs, ...terminal });
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
