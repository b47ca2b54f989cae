// Small readers for the documentation tests: fenced blocks, links, headings
// and table rows of Markdown, and a well-formedness check for hand-written XML
// (docs/topology.svg). Only what the docs use; no general Markdown parser.

export interface FencedBlock {
  /** File the block is in, for messages. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string after the fence: "yaml", "yaml fragment", "bird"... */
  info: string;
  /** The block's first info word ("yaml"). */
  lang: string;
  body: string;
  /** The last non-blank line before the fence (an HTML comment marker may sit there). */
  before: string;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of a Markdown text, in order. */
export function fencedBlocks(file: string, text: string): FencedBlock[] {
  const lines = text.split("\n");
  const out: FencedBlock[] = [];
  let lastNonBlank = "";
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== "") lastNonBlank = lines[i]!.trim();
      continue;
    }
    const fence = open[2]!;
    const info = open[3]!.trim();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (
        close &&
        close[2]!.startsWith(fence[0]!) &&
        close[2]!.length >= fence.length &&
        close[3]!.trim() === ""
      )
        break;
      body.push(lines[j]!);
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: unterminated code fence`);
    out.push({
      file,
      line: i + 1,
      info,
      lang: info.split(/\s+/)[0] ?? "",
      body: body.join("\n"),
      before: lastNonBlank,
    });
    lastNonBlank = "";
    i = j;
  }
  return out;
}

/** The text with fenced blocks and inline code spans blanked out (links inside code are not links). */
export function proseOnly(text: string): string {
  const lines = text.split("\n");
  let inFence: string | undefined;
  const out: string[] = [];
  for (const line of lines) {
    const fence = FENCE.exec(line);
    if (inFence !== undefined) {
      if (fence && fence[2]!.startsWith(inFence) && fence[3]!.trim() === "") inFence = undefined;
      out.push("");
    } else if (fence) {
      inFence = fence[2]![0]!.repeat(3);
      out.push("");
    } else {
      out.push(line.replace(/`[^`]*`/g, (m) => " ".repeat(m.length)));
    }
  }
  return out.join("\n");
}

export interface Link {
  line: number;
  target: string;
}

/** Markdown inline links and images, and HTML src/href attributes, outside code. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  const prose = proseOnly(text).split("\n");
  prose.forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      out.push({ line: i + 1, target: m[1]! });
    for (const m of line.matchAll(/\b(?:src|href)="([^"]+)"/g)) out.push({ line: i + 1, target: m[1]! });
  });
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");
}

export interface Heading {
  level: number;
  text: string;
  line: number;
}

/** ATX headings outside code fences. */
export function headings(text: string): Heading[] {
  const out: Heading[] = [];
  const lines = text.split("\n");
  let inFence: string | undefined;
  lines.forEach((line, i) => {
    const fence = FENCE.exec(line);
    if (inFence !== undefined) {
      if (fence && fence[2]!.startsWith(inFence) && fence[3]!.trim() === "") inFence = undefined;
      return;
    }
    if (fence) {
      inFence = fence[2]![0]!.repeat(3);
      return;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) out.push({ level: h[1]!.length, text: h[2]!, line: i + 1 });
  });
  return out;
}

/** Anchors GitHub generates for a file's headings (duplicates get -1, -2...). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings(text)) {
    const base = slug(h.text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** The lines under the first heading that `match` accepts, up to the next heading of any level. */
export function sectionUnder(text: string, match: (heading: string) => boolean): string | undefined {
  const lines = text.split("\n");
  const hs = headings(text);
  const at = hs.findIndex((h) => match(h.text));
  if (at < 0) return undefined;
  const start = hs[at]!.line;
  const end = hs[at + 1]?.line ?? lines.length + 1;
  return lines.slice(start, end - 1).join("\n");
}

/** First cells of a section's table rows that hold one `code` span: the keys a table documents. */
export function tableKeys(section: string): string[] {
  const out: string[] = [];
  for (const line of section.split("\n")) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/**
 * Well-formedness of an XML document, enough for a hand-written SVG: one root
 * element, tags properly nested and closed, attributes quoted and not repeated,
 * only the five predefined entities or character references, no stray `<` or `&`.
 * Returns the problems (empty when well-formed) and the root element's name.
 */
export function checkXml(text: string): { problems: string[]; root?: string; elements: string[] } {
  const problems: string[] = [];
  const stack: string[] = [];
  const elements: string[] = [];
  let root: string | undefined;
  let rootClosed = false;
  let i = 0;
  const lineAt = (pos: number) => text.slice(0, pos).split("\n").length;
  const checkText = (s: string, at: number) => {
    for (const m of s.matchAll(/&([^;\s]*);?/g)) {
      const ok = /^(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1]!) && m[0].endsWith(";");
      if (!ok) problems.push(`line ${lineAt(at + m.index)}: bad entity ${m[0]}`);
    }
    if (rootClosed && s.trim() !== "") problems.push(`line ${lineAt(at)}: text after the root element`);
  };
  if (text.startsWith("\ufeff")) i = 1;
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    if (lt < 0) {
      checkText(text.slice(i), i);
      break;
    }
    const between = text.slice(i, lt);
    if (stack.length === 0 && between.trim() !== "" && !rootClosed)
      problems.push(`line ${lineAt(i)}: text outside the root element`);
    checkText(between, i);
    if (text.startsWith("<!--", lt)) {
      const end = text.indexOf("-->", lt + 4);
      if (end < 0) return { problems: [...problems, `line ${lineAt(lt)}: unterminated comment`], elements };
      if (text.slice(lt + 4, end).includes("--")) problems.push(`line ${lineAt(lt)}: "--" inside a comment`);
      i = end + 3;
      continue;
    }
    if (text.startsWith("<?", lt)) {
      const end = text.indexOf("?>", lt);
      if (end < 0)
        return { problems: [...problems, `line ${lineAt(lt)}: unterminated declaration`], elements };
      if (root !== undefined) problems.push(`line ${lineAt(lt)}: processing instruction after the root`);
      i = end + 2;
      continue;
    }
    if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt);
      if (end < 0) return { problems: [...problems, `line ${lineAt(lt)}: unterminated CDATA`], elements };
      i = end + 3;
      continue;
    }
    if (text.startsWith("<!DOCTYPE", lt)) {
      const end = text.indexOf(">", lt);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    const gt = findTagEnd(text, lt);
    if (gt < 0) return { problems: [...problems, `line ${lineAt(lt)}: unterminated tag`], elements };
    const tag = text.slice(lt + 1, gt);
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`line ${lineAt(lt)}: </${name}> closes <${open ?? "nothing"}>`);
      if (stack.length === 0) rootClosed = true;
    } else {
      const selfClosing = tag.endsWith("/");
      const m = /^([A-Za-z_][\w.:-]*)([\s\S]*?)\/?$/.exec(tag);
      if (!m) {
        problems.push(`line ${lineAt(lt)}: bad tag <${tag.slice(0, 20)}>`);
      } else {
        const name = m[1]!;
        if (stack.length === 0) {
          if (root !== undefined) problems.push(`line ${lineAt(lt)}: a second root element <${name}>`);
          root ??= name;
        }
        elements.push(name);
        const attrs = m[2]!.trim();
        const seen = new Set<string>();
        const rest = attrs.replace(
          /([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/g,
          (_all, key: string, _q, dq, sq) => {
            if (seen.has(key)) problems.push(`line ${lineAt(lt)}: attribute ${key} repeated on <${name}>`);
            seen.add(key);
            const value = (dq ?? sq) as string;
            if (value.includes("<")) problems.push(`line ${lineAt(lt)}: "<" in attribute ${key}`);
            checkText(value, lt);
            return "";
          },
        );
        if (rest.trim() !== "")
          problems.push(`line ${lineAt(lt)}: malformed attributes on <${name}>: ${rest.trim()}`);
        if (!selfClosing) stack.push(name);
        else if (stack.length === 0) rootClosed = true;
      }
    }
    i = gt + 1;
  }
  if (stack.length > 0) problems.push(`unclosed elements: ${stack.join(" > ")}`);
  if (root === undefined) problems.push("no root element");
  return { problems, root, elements };
}

/** Index of the `>` ending the tag that starts at `lt`, skipping quoted attribute values. */
function findTagEnd(text: string, lt: number): number {
  let quote: string | undefined;
  for (let k = lt + 1; k < text.length; k++) {
    const c = text[k]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return k;
    else if (c === "<") return -1;
  }
  return -1;
}
