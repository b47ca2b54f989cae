import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { cleanFileMappings } from "../../../src/cli/startup-pages";

const SMAPS = `55d0a0000000-55d0a1000000 r--p 00000000 fd:01 123 /usr/bin/node
Rss:                1024 kB
Anonymous:             0 kB
55d0a1000000-55d0a2000000 r-xp 01000000 fd:01 123 /usr/bin/node
Anonymous:             0 kB
55d0a2000000-55d0a2100000 r--p 02000000 fd:01 123 /usr/bin/node
Anonymous:            64 kB
55d0a2100000-55d0a2200000 rw-p 02100000 fd:01 123 /usr/bin/node
Anonymous:            12 kB
55d0a3000000-55d0a4000000 rw-p 00000000 00:00 0 [heap]
Anonymous:          4096 kB
7f0000000000-7f0000100000 r--s 00000000 fd:01 456 /dev/shm/x
Anonymous:             0 kB
7f0000200000-7f0000300000 r-xp 00000000 fd:01 789 /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)
Anonymous:             0 kB
7ffc00000000-7ffc00001000 r-xp 00000000 00:00 0 [vdso]
`;

describe("release of start-up pages", () => {
  it("picks only private read-only file mappings holding no private copy", () => {
    assert.deepEqual(
      cleanFileMappings(SMAPS).map((m) => [m.start.toString(16), m.end.toString(16)]),
      [
        ["55d0a0000000", "55d0a1000000"],
        ["55d0a1000000", "55d0a2000000"],
        ["7f0000200000", "7f0000300000"],
      ],
    );
  });

  it("shrinks a process's resident file pages, which keeps working as the pages it needs fault back", async () => {
    const module = resolve(__dirname, "../../../src/cli/startup-pages.js");
    const script = `
      const { releaseStartupPages } = require(${JSON.stringify(module)});
      const zlib = require("node:zlib");
      const r = releaseStartupPages();
      const packed = zlib.gzipSync(Buffer.from("x".repeat(100000)));
      const back = zlib.gunzipSync(packed).toString().length;
      const parsed = JSON.parse(JSON.stringify({ a: [1, 2, 3] })).a.length;
      console.log(JSON.stringify({ ...r, back, parsed, regex: /b+/.exec("abbbc")[0] }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script]);
    const r = JSON.parse(stdout) as {
      fileBefore: number;
      fileAfter: number;
      back: number;
      parsed: number;
      regex: string;
    };
    assert.ok(r.fileAfter < r.fileBefore / 2, `resident file pages ${r.fileBefore} -> ${r.fileAfter} bytes`);
    assert.deepEqual([r.back, r.parsed, r.regex], [100000, 3, "bbb"]);
  });
});
