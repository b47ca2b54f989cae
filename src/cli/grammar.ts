// flatroutec's command-line grammar, derived from the control command table:
// command words and keywords may be abbreviated to any unambiguous prefix
// ("sh pro" is "show protocols"), as in birdc.
import { type Args, COMMANDS, type CommandSpec, findCommand } from "../control/commands";

export class UsageError extends Error {}

export interface ParsedCommand {
  spec: CommandSpec;
  args: Args;
  /** Client-side display keywords given (e.g. "all" for show route). */
  display: Set<string>;
}

export function parseCommandWords(words: readonly string[]): ParsedCommand {
  const { name, used } = resolveCommandName(words);
  const spec = findCommand(name)!;
  const args: Args = {};
  const display = new Set<string>();
  const syntax = spec.syntax;
  const positional = [...(syntax.positional ?? [])];
  const keywords = [
    ...Object.keys(syntax.options ?? {}),
    ...Object.keys(syntax.flags ?? {}),
    ...(syntax.display ?? []),
  ];

  for (let i = used; i < words.length; i++) {
    const word = words[i]!;
    const keyword = matchWord(word, keywords, spec.name);
    if (keyword !== undefined && syntax.options?.[keyword] !== undefined) {
      const arg = syntax.options[keyword]!;
      const value = words[++i];
      if (value === undefined) throw new UsageError(`"${keyword}" needs a value; usage: ${spec.usage}`);
      if (args[arg] !== undefined) throw new UsageError(`"${keyword}" given twice`);
      if (spec.args[arg]?.type === "family" && value !== "ipv4" && value !== "ipv6") {
        throw new UsageError(`${keyword}: expected ipv4 or ipv6, got "${value}"`);
      }
      args[arg] = value;
    } else if (keyword !== undefined && syntax.flags?.[keyword] !== undefined) {
      args[syntax.flags[keyword]!] = true;
    } else if (keyword !== undefined) {
      display.add(keyword);
    } else {
      const arg = positional.shift();
      if (arg === undefined) throw new UsageError(`unexpected "${word}"; usage: ${spec.usage}`);
      args[arg] = word;
    }
  }
  for (const [arg, a] of Object.entries(spec.args)) {
    if (a.required && args[arg] === undefined) {
      throw new UsageError(`missing ${arg.toUpperCase()}; usage: ${spec.usage}`);
    }
  }
  return { spec, args, display };
}

/** Longest run of leading words that spells (an abbreviation of) a command name. */
function resolveCommandName(words: readonly string[]): { name: string; used: number } {
  const resolved: string[] = [];
  for (const word of words) {
    const next = nextWords(resolved);
    if (next.length === 0) break;
    const match = matchWord(word, next, resolved.join(" "));
    if (match === undefined) break;
    resolved.push(match);
  }
  const name = resolved.join(" ");
  if (findCommand(name)) return { name, used: resolved.length };
  if (resolved.length === 0) {
    if (words.length === 0) throw new UsageError(`no command given; try "help"`);
    throw new UsageError(`unknown command "${words[0]}"; try "help"`);
  }
  const expected = nextWords(resolved).join(", ");
  const stray = words[resolved.length];
  // "show nonsense" names the word that is wrong, not the command as if it had stopped short.
  if (stray !== undefined)
    throw new UsageError(`unknown word "${stray}" after "${name}": expected one of ${expected}`);
  throw new UsageError(`incomplete command "${name}": expected one of ${expected}`);
}

/** Command words that may follow `resolved` (the whole table when it is empty). */
export function nextWords(resolved: readonly string[]): string[] {
  const out = new Set<string>();
  for (const c of COMMANDS) {
    const words = c.name.split(" ");
    if (words.length > resolved.length && resolved.every((w, i) => words[i] === w))
      out.add(words[resolved.length]!);
  }
  return [...out];
}

/** Commands whose last word must be typed in full (CommandSpec.exact): no abbreviation reaches them. */
const EXACT_ONLY = new Set(COMMANDS.filter((c) => c.exact).map((c) => c.name));

/** True for a command that is only typed in full (CommandSpec.exact). */
export function exactOnly(name: string): boolean {
  return EXACT_ONLY.has(name);
}

/** Exact match, else the single candidate the word abbreviates; undefined if none. Throws UsageError if ambiguous. */
export function matchWord(word: string, candidates: readonly string[], context: string): string | undefined {
  const w = word.toLowerCase();
  if (candidates.includes(w)) return w;
  const matches = candidates.filter(
    (c) => c.startsWith(w) && !EXACT_ONLY.has(context === "" ? c : `${context} ${c}`),
  );
  if (matches.length > 1) {
    const where = context === "" ? "" : ` after "${context}"`;
    throw new UsageError(`"${word}" is ambiguous${where}: ${matches.join(", ")}`);
  }
  return matches[0];
}

export function commandHelp(): string {
  return COMMANDS.map((c) => `  ${c.usage}\n      ${c.help}`).join("\n");
}
