// Bundles flatroutec into one file, the one package.json's "bin" names
// (dist/src/cli/flatroutec.bundle.js), which the image runs too. Why: a one-shot command (a
// script, a monitoring probe, an operator's `show route for`) is mostly Node
// starting up; of what is ours, loading about twenty modules one by one
// (resolving, reading and compiling each) was the largest part, and one file
// takes ~8 ms less on the reference machine (docs/performance.md). esbuild,
// not our own concatenation, because it is the well-kept tool for exactly
// this. commander stays outside the bundle: it is loaded only for -h, -V and
// usage errors (src/cli/flatroutec-options.ts). dist/src/cli/flatroutec.js
// stays the module tests and the demo import.
// Usage: node scripts/bundle-cli.js [PACKAGE_DIR]   (default: the repository root)
const fs = require("node:fs");
const path = require("node:path");
const { buildSync } = require("esbuild");

const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
buildSync({
  entryPoints: [path.join(root, "dist", "src", "cli", "flatroutec.js")],
  outfile: path.join(root, pkg.bin.flatroutec),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["commander"],
  logLevel: "warning",
});
