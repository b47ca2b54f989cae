// Installing outside a container: `npm pack` of the checkout, then
// `npm install -g` of that tarball into a temporary prefix, the way the README
// tells users to do it. A tarball install brings production dependencies only,
// so a runtime import of a devDependency, or a file missing from package.json's
// "files", fails here rather than on a node.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bareEnv, type PackageJson, ROOT, runOk } from "./run";

/** The part of `npm pack --json` these tests read. */
interface PackReport {
  filename: string;
  files: { path: string; mode: number }[];
}

/** What npm adds to every package whatever "files" says. */
const ALWAYS_PACKED = /^(package\.json|README(\.md)?|LICEN[CS]E(\.md|\.txt)?)$/i;

describe("npm package (npm pack, installed with npm install -g)", function () {
  // A global install resolves the dependencies anew (a tarball carries no lock
  // file); from npm's cache that takes seconds, with cold caches longer.
  this.timeout(180_000);

  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
  let tmp = "";
  let prefix = "";
  let report: PackReport;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "flatroute-pack-"));
    prefix = join(tmp, "prefix");
    const packed = await runOk("npm", ["pack", "--json", "--pack-destination", tmp]);
    report = (JSON.parse(packed.stdout) as PackReport[])[0]!;
    await runOk("npm", [
      "install",
      "--global",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      join(tmp, report.filename),
    ]);
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("holds the built agent and nothing of the tests, benchmarks or sources", () => {
    const paths = report.files.map((f) => f.path);
    const stray = paths.filter((p) => !p.startsWith("dist/src/") && !ALWAYS_PACKED.test(p));
    assert.deepEqual(stray, [], "files outside dist/src/");
    assert.ok(
      !paths.some((p) => /^(dist\/)?(test|bench|scripts)\//.test(p) || p.endsWith(".ts")),
      "test, bench, script or TypeScript files",
    );
    assert.deepEqual(pkg.files, ["dist/src/"]);
  });

  it("packs the bins executable", () => {
    for (const bin of Object.values(pkg.bin)) {
      const entry = report.files.find((f) => f.path === bin);
      assert.ok(entry, `${bin} is not in the tarball`);
      assert.equal(entry.mode & 0o111, 0o111, `${bin} has mode ${entry.mode.toString(8)}`);
    }
  });

  it("installs a flatroute that prints its version", async () => {
    const r = await runOk(join(prefix, "bin", "flatroute"), ["version"], {
      env: bareEnv(join(prefix, "bin")),
    });
    assert.equal(r.stdout.trim(), `flatroute ${pkg.version}`);
  });

  it("installs a flatroutec that prints its help", async () => {
    const r = await runOk(join(prefix, "bin", "flatroutec"), ["--help"], {
      env: bareEnv(join(prefix, "bin")),
    });
    assert.match(r.stdout, /^Usage: flatroutec \[options\] \[command\.\.\.\]/);
    assert.match(r.stdout, /show protocols/);
  });

  it("installs none of the modules only the devDependencies need", () => {
    // @types/node, say, is a devDependency and also a dependency of
    // @kubernetes/client-node: only what the lock file marks dev-only must be absent.
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const installed = join(prefix, "lib", "node_modules", pkg.name);
    const devOnly = Object.entries(lock.packages).filter(
      ([path, e]) => e.dev && path.startsWith("node_modules/"),
    );
    assert.ok(devOnly.length > 0);
    const present = devOnly.map(([path]) => path).filter((path) => existsSync(join(installed, path)));
    assert.deepEqual(present, []);
  });
});
