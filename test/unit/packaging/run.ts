// Running npm and the installed bins from the packaging tests: output
// collected, failures reported with the command's stderr so a broken install
// says why.
import { execFile } from "node:child_process";
import { dirname, resolve } from "node:path";

/** Repository root, from dist/test/unit/packaging. */
export const ROOT = resolve(__dirname, "..", "..", "..", "..");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to completion; never throws on a non-zero exit (callers assert on `code`). */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd ?? ROOT,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stderr}`));
          return;
        }
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Like run, but a non-zero exit is an error carrying the output. */
export async function runOk(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const r = await run(file, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${file} ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

/**
 * The environment an installed bin gets in the tests: a PATH with the install's
 * bin directory and the node running the tests, and nothing else of this
 * process's, so a bin that leans on the developer's environment fails here.
 */
export function bareEnv(binDir: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { PATH: `${binDir}:${dirname(process.execPath)}`, ...extra };
}

/** package.json of the checkout. */
export interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
