// Start-up touches pages of Node's own executable (99 MB, with V8, ICU and
// Node's bundled JavaScript) that the running agent never reads again:
// module loading, parsing and compiling the agent's code. They stay in its
// resident set, 45 MB of an idle agent's 73 MB, against BIRD's whole binary
// of under 1 MB. Once the agent is up, the read-only file mappings are
// dropped from its address space (madvise MADV_DONTNEED): the pages stay in
// the page cache, shared and reclaimable, and the ones the agent still uses
// fault back in on first touch (about 20 MB during a million-route ingest)
// from memory, not disk. A mapping holding any private copy (a relocated
// read-only section) is left alone: dropping it would discard the copy.
// Start-up also frees memory that malloc keeps (the warm-up's synthetic
// table, parsing): malloc_trim hands those free pages back, about 4 MB.
import { readFileSync } from "node:fs";
import koffi from "koffi";

const MADV_DONTNEED = 4;

export interface ReleasedPages {
  /** The resident file-backed memory before and after, in bytes. */
  fileBefore: number;
  fileAfter: number;
  /** The resident anonymous memory before and after, in bytes. */
  anonBefore: number;
  anonAfter: number;
}

interface FileMapping {
  start: bigint;
  end: bigint;
}

/** Read-only file mappings with no private (anonymous) page, from smaps text. */
export function cleanFileMappings(smaps: string): FileMapping[] {
  const out: FileMapping[] = [];
  let current: (FileMapping & { eligible: boolean }) | undefined;
  const flush = () => {
    if (current?.eligible) out.push({ start: current.start, end: current.end });
  };
  for (const line of smaps.split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      flush();
      const [, start, end, perms, path] = header;
      current = {
        start: BigInt(`0x${start}`),
        end: BigInt(`0x${end}`),
        eligible: path!.startsWith("/") && !perms!.includes("w") && perms!.endsWith("p"),
      };
      continue;
    }
    const anon = /^Anonymous:\s+(\d+)/.exec(line);
    if (anon && current && Number(anon[1]) > 0) current.eligible = false;
  }
  flush();
  return out;
}

function resident(): { file: number; anon: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (re: RegExp) => Number(re.exec(status)?.[1] ?? 0) * 1024;
  return { file: kb(/^RssFile:\s+(\d+) kB/m), anon: kb(/^RssAnon:\s+(\d+) kB/m) };
}

/** Drops the clean file pages start-up left resident and trims malloc; undefined where /proc is missing. */
export function releaseStartupPages(): ReleasedPages | undefined {
  let smaps: string;
  try {
    smaps = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return undefined;
  }
  const libc = koffi.load("libc.so.6");
  const madvise = libc.func("int madvise(uintptr_t addr, size_t length, int advice)") as (
    addr: bigint,
    length: bigint,
    advice: number,
  ) => number;
  const before = resident();
  for (const m of cleanFileMappings(smaps)) madvise(m.start, m.end - m.start, MADV_DONTNEED);
  mallocTrim(libc);
  const after = resident();
  return { fileBefore: before.file, fileAfter: after.file, anonBefore: before.anon, anonAfter: after.anon };
}

/** glibc's malloc_trim(0); a C library without it (musl) keeps its free pages. */
function mallocTrim(libc: ReturnType<typeof koffi.load>): void {
  let trim: (pad: number) => number;
  try {
    trim = libc.func("int malloc_trim(size_t pad)") as (pad: number) => number;
  } catch {
    return;
  }
  trim(0);
}
