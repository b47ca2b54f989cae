// The layer check of `npm run lint`: every import in src/ must go downward in
// the layer table of docs/architecture.md, so that table is the rule and the
// doc cannot drift from the code. The table lists the layers bottom-up; a file
// belongs to the layer whose `where` path matches it longest (a directory
// `src/x/` or a single file `src/x/y.ts`), and may import only files of its own
// layer or of layers listed above it. A file of src/ in no layer is an error
// too, so a new module has to be placed on the map.
// Plain JS so it runs before anything is compiled.
// Usage: node scripts/check-layers.js [REPO_DIR]   (default: the repository root)
const fs = require("node:fs");
const path = require("node:path");

const TABLE_HEADER = /^\|\s*layer\s*\|\s*where\s*\|/;

/**
 * The layers of the architecture table, bottom-up: [{ name, rank, paths }]
 * where paths are repository-relative ("src/bgp/codec/" or "src/bgp/config.ts").
 */
function parseLayers(markdown) {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => TABLE_HEADER.test(l));
  if (start < 0) throw new Error("no '| layer | where |' table in the architecture doc");
  const layers = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line.split("|").map((c) => c.trim());
    const name = cells[1];
    const paths = [...(cells[2] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    if (!name || paths.length === 0) throw new Error(`layer row without paths: ${line}`);
    layers.push({ name, rank: layers.length, paths });
  }
  return layers;
}

/** The layer of a repository-relative file, by longest matching path; undefined when none. */
function layerOf(layers, file) {
  let best;
  let bestLength = -1;
  for (const layer of layers) {
    for (const p of layer.paths) {
      const matches = p.endsWith("/") ? file.startsWith(p) : file === p;
      if (matches && p.length > bestLength) {
        best = layer;
        bestLength = p.length;
      }
    }
  }
  return best;
}

/** Module specifiers of static imports, re-exports and dynamic import()s, with their line numbers. */
function importsOf(source) {
  const found = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of source.matchAll(re)) {
      const line = source.slice(0, m.index + m[0].length).split("\n").length;
      found.push({ specifier: m[1], line });
    }
  }
  return found;
}

/** The repository-relative .ts file a relative specifier names, or undefined for packages. */
function resolveImport(root, fromFile, specifier) {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(root, path.dirname(fromFile), specifier.replace(/\.js$/, ""));
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return path.relative(root, candidate).split(path.sep).join("/");
    }
  }
  return path.relative(root, base).split(path.sep).join("/");
}

function sourceFiles(root, dir) {
  const out = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(root, rel));
    else if (e.name.endsWith(".ts")) out.push(rel);
  }
  return out.sort();
}

/**
 * Every rule broken under `root`: [{ file, line, specifier, message }].
 * `files` maps repository-relative paths to their source (default: src/ as on disk).
 */
function checkLayers(layers, root, files) {
  const sources =
    files ?? new Map(sourceFiles(root, "src").map((f) => [f, fs.readFileSync(path.join(root, f), "utf8")]));
  const problems = [];
  for (const [file, source] of sources) {
    const from = layerOf(layers, file);
    if (!from) {
      problems.push({ file, line: 1, specifier: "", message: "is in no layer of the architecture table" });
      continue;
    }
    for (const { specifier, line } of importsOf(source)) {
      const target = resolveImport(root, file, specifier);
      if (target === undefined) continue;
      const to = layerOf(layers, target);
      if (!to) {
        problems.push({ file, line, specifier, message: `imports ${target}, which is in no layer` });
      } else if (to.rank > from.rank) {
        problems.push({
          file,
          line,
          specifier,
          message: `layer ${from.name} may not import layer ${to.name} (${target}): ${to.name} comes after ${from.name} in the layer table of docs/architecture.md`,
        });
      }
    }
  }
  return problems;
}

function main() {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
  const layers = parseLayers(fs.readFileSync(path.join(root, "docs/architecture.md"), "utf8"));
  const problems = checkLayers(layers, root);
  for (const p of problems) {
    const what = p.specifier ? ` "${p.specifier}"` : "";
    console.error(`${p.file}:${p.line}:${what} ${p.message}`);
  }
  if (problems.length > 0) {
    console.error(
      `layer check: ${problems.length} import(s) against the layer order of docs/architecture.md`,
    );
    process.exit(1);
  }
}

module.exports = { parseLayers, layerOf, importsOf, checkLayers };

if (require.main === module) main();
