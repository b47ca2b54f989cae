// scripts/check-layers.js (run by `npm run lint`): the layer table of
// docs/architecture.md is the rule, the tree keeps it, and an import against
// it, or a file on no layer, is reported with file, line and rule.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const REPO = resolve(__dirname, "../../../..");

interface Layer {
  name: string;
  rank: number;
  paths: string[];
}
interface Problem {
  file: string;
  line: number;
  specifier: string;
  message: string;
}
interface Checker {
  parseLayers(markdown: string): Layer[];
  layerOf(layers: Layer[], file: string): Layer | undefined;
  checkLayers(layers: Layer[], root: string, files?: Map<string, string>): Problem[];
}

// Plain JS (it runs before the build), so it is loaded as such.
const checker = require(resolve(REPO, "scripts/check-layers.js")) as Checker;
const layers = checker.parseLayers(readFileSync(resolve(REPO, "docs/architecture.md"), "utf8"));

describe("layer check (scripts/check-layers.js)", () => {
  it("reads the layers bottom-up from the architecture table", () => {
    const names = layers.map((l) => l.name);
    assert.ok(names.indexOf("codec") < names.indexOf("session"));
    assert.ok(names.indexOf("policy") < names.indexOf("rib"));
    assert.ok(names.indexOf("rib") < names.indexOf("speaker"));
    assert.equal(names.at(-1), "cli");
  });

  it("places a file by its longest matching path", () => {
    assert.equal(checker.layerOf(layers, "src/bgp/policy/types.ts")?.name, "model");
    assert.equal(checker.layerOf(layers, "src/bgp/policy/evaluate.ts")?.name, "policy");
    assert.equal(checker.layerOf(layers, "src/k8s/settings.ts")?.name, "config");
    assert.equal(checker.layerOf(layers, "src/k8s/mode.ts")?.name, "k8s");
    assert.equal(checker.layerOf(layers, "src/bgp/new-thing.ts"), undefined);
  });

  it("passes the tree as it is", () => {
    assert.deepEqual(checker.checkLayers(layers, REPO), []);
  });

  it("reports an import against the order with file, line and the rule", () => {
    const files = new Map([
      [
        "src/bgp/policy/evaluate.ts",
        'import { Afi } from "../codec/types";\nimport type { RouteAttrs } from "../rib/attr-store";\n',
      ],
      ["src/bgp/codec/types.ts", 'export { x } from "../session/fsm";\n'],
      ["src/bgp/rib/rib.ts", 'import { Policy } from "../policy/types";\nimport pino from "pino";\n'],
    ]);
    const problems = checker.checkLayers(layers, REPO, files);
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.specifier]),
      [
        ["src/bgp/policy/evaluate.ts", 2, "../rib/attr-store"],
        ["src/bgp/codec/types.ts", 1, "../session/fsm"],
      ],
    );
    assert.match(
      problems[0]!.message,
      /layer policy may not import layer rib \(src\/bgp\/rib\/attr-store\.ts\)/,
    );
  });

  it("reports a file that is on no layer", () => {
    const problems = checker.checkLayers(layers, REPO, new Map([["src/bgp/stray.ts", ""]]));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /in no layer/);
  });
});
