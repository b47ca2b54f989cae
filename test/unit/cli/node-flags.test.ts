import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { AGENT_ENV, AGENT_NODE_FLAGS } from "../../../src/cli/node-flags";

/** Repository root, from dist/test/unit/cli. */
const ROOT = resolve(__dirname, "..", "..", "..", "..");

describe("agent node flags and environment (src/cli/node-flags.ts)", () => {
  it("are what the bin's shebang starts node with", () => {
    const shebang = readFileSync(resolve(ROOT, "src/cli/flatroute.ts"), "utf8").split("\n")[0]!;
    const words = shebang.replace(/^#!\/usr\/bin\/env -S /, "").split(" ");
    const node = words.indexOf("node");
    assert.ok(node >= 0, shebang);
    assert.deepEqual(
      words.slice(0, node),
      Object.entries(AGENT_ENV).map(([k, v]) => `${k}=${v}`),
    );
    assert.deepEqual(words.slice(node + 1), [...AGENT_NODE_FLAGS]);
  });

  it("are what the container image starts the agent with", () => {
    const dockerfile = readFileSync(resolve(ROOT, "Dockerfile"), "utf8");
    for (const [k, v] of Object.entries(AGENT_ENV))
      assert.match(dockerfile, new RegExp(`^ENV ${k}=${v}$`, "m"));
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
    assert.ok(entry);
    const argv = JSON.parse(entry[1]!) as string[];
    assert.deepEqual(argv.slice(1, 1 + AGENT_NODE_FLAGS.length), [...AGENT_NODE_FLAGS]);
  });
});
