// Makes the package.json "bin" targets executable after tsc, which writes
// every file 0644: without it a fresh `npm run build` leaves
// dist/src/cli/flatroute.js and flatroutec.js unrunnable by path (the
// container image symlinks them into /usr/local/bin, and a checkout is run
// from dist/ directly). Plain JS and fs.chmodSync so it runs before anything
// is compiled and on any platform npm runs on (no shell `chmod`).
// Usage: node scripts/chmod-bins.js [PACKAGE_DIR]   (default: the repository root)
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const bins = typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const bin of bins) {
  const file = path.join(root, bin);
  // Read, execute for everyone (0755): the image may run as any user.
  fs.chmodSync(file, fs.statSync(file).mode | 0o555);
}
