// The version printed by `flatroute version`, `flatroutec -V` and "show status".
// Read from package.json at run time so there is one place to bump it.
import { readFileSync } from "node:fs";
import { join } from "node:path";

function readVersion(): string {
  // Compiled to dist/src/cli/version.js; package.json sits three levels up.
  for (const rel of ["../../../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "flatroute" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return "unknown";
}

export const VERSION = readVersion();
