import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { AGENT_NODE_FLAGS } from "../../../src/cli/node-flags";
import { freeNow, grownTo } from "../../../src/util/typed-arrays";

function check(): { copied: number[]; grownLength: number; tail: number[]; oldLength: number } {
  const a = Int32Array.from([1, -2, 3, 2 ** 31 - 1]);
  const b = grownTo(a, 10);
  const u = grownTo(Uint8Array.from([7, 8]), 3);
  assert.deepEqual([...u], [7, 8, 0]);
  return {
    copied: [...b.subarray(0, 4)],
    grownLength: b.length,
    tail: [...b.subarray(4)],
    oldLength: a.length,
  };
}

describe("util/typed-arrays", () => {
  it("grows with the contents kept and new elements zero (a copy where transfer is off)", () => {
    const r = check();
    assert.deepEqual(r.copied, [1, -2, 3, 2 ** 31 - 1]);
    assert.equal(r.grownLength, 10);
    assert.deepEqual(r.tail, [0, 0, 0, 0, 0, 0]);
    freeNow(new Float64Array(4)); // a no-op without transfer: must not throw
  });

  it("with the agent's node flags, moves the contents and frees the old memory at once", async () => {
    const module = resolve(__dirname, "../../../src/util/typed-arrays.js");
    const script = `
      const { grownTo, freeNow } = require(${JSON.stringify(module)});
      const fs = require("node:fs");
      const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
      const a = new Int32Array(4).fill(5);
      const b = grownTo(a, 8);
      const big = new Float64Array(8e6).fill(1); // 64 MB, touched
      const before = rss();
      freeNow(big);
      console.log(JSON.stringify({ b: [...b], aLength: a.length, bigLength: big.length, freed: before - rss() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, [...AGENT_NODE_FLAGS, "-e", script]);
    const r = JSON.parse(stdout) as { b: number[]; aLength: number; bigLength: number; freed: number };
    assert.deepEqual(r.b, [5, 5, 5, 5, 0, 0, 0, 0]);
    assert.equal(r.aLength, 0, "the old array is detached");
    assert.equal(r.bigLength, 0);
    assert.ok(r.freed > 48 * 2 ** 20, `RSS fell by ${r.freed} bytes at once`);
  });
});
