// flatroutec's options through commander: its help, version and usage errors.
// Only loaded when the quick parser in flatroutec.ts does not take the arguments.
import { Command } from "commander";
import type { Options, ParsedArgs } from "./flatroutec";
import { commandHelp } from "./grammar";
import type { Output } from "./print";
import { VERSION } from "./version";

/** The parsed arguments, or the exit code commander chose (0 after help or version). */
export function parseWithCommander(
  argv: readonly string[],
  defaults: Options,
  out: Output,
  err: Output,
): ParsedArgs | number {
  const program = new Command("flatroutec")
    .description("Query and control a running flatroute agent")
    .version(VERSION, "-V, --version")
    .option("-s, --socket <path>", "control socket of the agent", defaults.socket)
    .option("--json", "print the reply data as JSON")
    .option("-i, --interactive", "open the flatroute> prompt (the default when no command is given)")
    .option("--timeout <ms>", "how long to wait for the agent", defaults.timeout)
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
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { options: program.opts<Options>(), words: program.args };
}
