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
import { readFileSync } from "node:fs";
import koffi from "koffi";

const MADV_DONTNEED = 4;

export interface ReleasedPages {
  /** The resident file-backed memory before and after, in bytes. */
  fileBefore: number;
  fileAfter: number;
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

function residentFileBytes(): number {
  const m = /^RssFile:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Drops the clean file pages start-up left resident; undefined where /proc or madvise is missing. */
export function releaseStartupPages(): ReleasedPages | undefined {
  let smaps: string;
  try {
    smaps = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return undefined;
  }
  const madvise = koffi.load("libc.so.6").func("int madvise(uintptr_t addr, size_t length, int advice)") as (
    addr: bigint,
    length: bigint,
    advice: number,
  ) => number;
  const fileBefore = residentFileBytes();
  for (const m of cleanFileMappings(smaps)) madvise(m.start, m.end - m.start, MADV_DONTNEED);
  return { fileBefore, fileAfter: residentFileBytes() };
}
