// TAB completion for interactive flatroutec, from the same command table the
// grammar uses: command words (abbreviated ones count, as in "sh pro<TAB>"),
// then the command's keywords and the values of its arguments (peer names
// fetched from the agent, table names).
import { type ArgSpec, findCommand } from "../control/commands";
import { exactOnly, matchWord, nextWords, UsageError } from "./grammar";

/** Words the prompt understands besides the command table. */
export const PROMPT_WORDS = ["help", "quit", "exit"] as const;

const FAMILIES = ["ipv4", "ipv6"];

export interface Completion {
  /** Whole-word candidates for the word under the cursor. */
  candidates: string[];
  /** The (possibly empty) partial word they complete. */
  partial: string;
}

/** What the word under the cursor (the end of `line`) could be. `peers` are the configured protocol names. */
export function complete(line: string, peers: readonly string[]): Completion {
  const words = line.split(/\s+/).filter((w) => w !== "");
  const partial = /\s$/.test(line) || line === "" ? "" : (words.pop() ?? "");
  const candidates = candidatesAfter(words, peers);
  const p = partial.toLowerCase();
  let matches = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(p)).sort();
  // "sh<TAB>" is show: a command typed only in full is offered once nothing else fits.
  if (words.length === 0 && p !== "" && matches.some((c) => !exactOnly(c)))
    matches = matches.filter((c) => !exactOnly(c));
  return { candidates: matches, partial };
}

function candidatesAfter(words: readonly string[], peers: readonly string[]): string[] {
  // Resolve as many leading words as spell a command; abbreviations count.
  const resolved: string[] = [];
  let i = 0;
  try {
    for (; i < words.length; i++) {
      const next = nextWords(resolved);
      const match = next.length > 0 ? matchWord(words[i]!, next, resolved.join(" ")) : undefined;
      if (match === undefined) break;
      resolved.push(match);
    }
  } catch (e) {
    if (e instanceof UsageError) return []; // an ambiguous word earlier in the line
    throw e;
  }
  if (resolved.length === 0) return words.length === 0 ? [...nextWords([]), ...PROMPT_WORDS] : [];

  const spec = findCommand(resolved.join(" "));
  // Still inside the command name: its next words, plus the arguments of the
  // shorter command it already spells ("show protocols" -> "all" or a peer).
  const more = i === words.length ? nextWords(resolved) : [];
  if (!spec) return more;
  const rest = words.slice(i);
  const syntax = spec.syntax;
  const last = rest[rest.length - 1];
  const options = syntax.options ?? {};
  if (last !== undefined) {
    let keyword: string | undefined;
    try {
      keyword = matchWord(last, Object.keys(options), spec.name);
    } catch {
      keyword = undefined;
    }
    if (keyword !== undefined) return valuesOf(spec.args[options[keyword]!], peers);
  }
  const keywords = [...Object.keys(options), ...Object.keys(syntax.flags ?? {}), ...(syntax.display ?? [])];
  // Keywords not given yet (each may appear once).
  const out = [...more, ...keywords.filter((k) => !rest.some((w) => k.startsWith(w.toLowerCase())))];
  // The next positional argument, if it names a peer. Keywords and values
  // already given do not fill positionals, so count only bare words.
  const positional = syntax.positional ?? [];
  const bare = countBareWords(rest, options, syntax.flags ?? {}, syntax.display ?? []);
  const arg = positional[bare];
  if (arg !== undefined) out.push(...valuesOf(spec.args[arg], peers));
  return out;
}

function countBareWords(
  rest: readonly string[],
  options: Record<string, string>,
  flags: Record<string, string>,
  display: readonly string[],
): number {
  const keywords = [...Object.keys(options), ...Object.keys(flags), ...display];
  let n = 0;
  for (let j = 0; j < rest.length; j++) {
    const w = rest[j]!.toLowerCase();
    const k = keywords.filter((x) => x.startsWith(w));
    if (k.length === 1 && options[k[0]!] !== undefined) j++;
    else if (k.length !== 1) n++;
  }
  return n;
}

function valuesOf(arg: ArgSpec | undefined, peers: readonly string[]): string[] {
  if (arg?.complete === "peer") return [...peers];
  if (arg?.complete === "protocol") return [...peers, "static"];
  if (arg?.type === "family") return FAMILIES;
  return [];
}
