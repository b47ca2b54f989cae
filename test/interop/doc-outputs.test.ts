// The documentation's real-world parts, checked against the real thing:
// - the command outputs embedded in the docs (docs/generated/*.txt and the
//   <!-- generated:NAME --> blocks) are what a fresh run of the mesh lab
//   prints today, after scripts/doc-outputs.ts replaced times, durations and
//   temporary paths: a change in any column, word, address or count is drift;
// - every ```bird and ```frr block in the docs is a configuration BIRD 2 and
//   FRR accept (`bird -p` parses without starting; `vtysh -C` is FRR's dry run).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DOCS_DIR, drift, GENERATED_DIR, generateOutputs, OUTPUT_NAMES } from "../../scripts/doc-outputs";
import { run } from "../lab/exec";
import { REPO_ROOT } from "../lab/peers/flatroute";
import { type FencedBlock, fencedBlocks } from "../unit/docs/markdown";

/** The first differing line of two texts, for a readable failure. */
function firstDifference(want: string, got: string): string {
  const a = want.split("\n");
  const b = got.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}:\n  committed: ${JSON.stringify(a[i])}\n  fresh run: ${JSON.stringify(b[i])}`;
  }
  return "no difference";
}

describe("docs: command outputs from a fresh lab run are the committed ones (drift check)", function () {
  this.timeout(180_000);

  it("show protocols, show route, show status and kubectl get bgpnodestatuses match docs/generated/", async () => {
    const outputs = await generateOutputs();
    const details: string[] = [];
    for (const name of OUTPUT_NAMES) {
      const committed = readFileSync(join(GENERATED_DIR, `${name}.txt`), "utf8");
      if (committed !== outputs[name]) details.push(`${name}: ${firstDifference(committed, outputs[name])}`);
    }
    assert.deepEqual(
      drift(outputs),
      [],
      `${details.join("\n")}\nIf the change is intended: npm run build && node dist/scripts/doc-outputs.js --write`,
    );
  });
});

describe("docs: router configurations are accepted by the real BIRD and FRR", function () {
  this.timeout(60_000);
  const files = [
    join(REPO_ROOT, "README.md"),
    ...readdirSync(DOCS_DIR)
      .filter((f) => f.endsWith(".md"))
      .map((f) => join(DOCS_DIR, f)),
  ];
  const blocks: FencedBlock[] = files.flatMap((f) =>
    fencedBlocks(relative(REPO_ROOT, f), readFileSync(f, "utf8")),
  );
  const bird = blocks.filter((b) => b.lang === "bird");
  const frr = blocks.filter((b) => b.lang === "frr");
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flatroute-doc-configs-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds BIRD and FRR examples", () => {
    assert.ok(bird.length > 0, "no ```bird block in the docs");
    assert.ok(frr.length > 0, "no ```frr block in the docs");
  });

  for (const b of bird) {
    it(`${b.file}:${b.line} parses with bird -p`, async () => {
      const file = join(dir, `bird-${b.line}.conf`);
      writeFileSync(file, `${b.body}\n`);
      const r = await run("bird", ["-p", "-c", file], { allowFail: true });
      assert.equal(r.code, 0, `${b.file}:${b.line}: ${r.stderr || r.stdout}`);
    });
  }

  for (const b of frr) {
    it(`${b.file}:${b.line} passes vtysh -C (FRR's dry run)`, async () => {
      const file = join(dir, `frr-${b.line}.conf`);
      writeFileSync(file, `${b.body}\n`);
      const r = await run("vtysh", ["-C", "-f", file], { allowFail: true });
      assert.equal(r.code, 0, `${b.file}:${b.line}: ${r.stderr || r.stdout}`);
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /%|Unknown command|error/i, `${b.file}:${b.line}`);
    });
  }
});
