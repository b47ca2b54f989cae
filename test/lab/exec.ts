// Running a command to completion with a deadline, without blocking the event
// loop (the lab polls daemons while timers in the code under test keep ticking).
import { execFile } from "node:child_process";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
}

export class ExecError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: ExecResult,
  ) {
    super(
      `command failed (exit ${result.code}): ${argv.join(" ")}\n${result.stderr || result.stdout}`.trim(),
    );
    this.name = "ExecError";
  }
}

export function run(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 15_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        const errCode = (err as { code?: unknown } | null)?.code;
        const code = err ? (typeof errCode === "number" ? errCode : -1) : 0;
        const result = { code, stdout: String(stdout), stderr: String(stderr) };
        if (err && typeof errCode !== "number" && !opts.allowFail) {
          // Spawn failure or timeout: no exit code to report.
          reject(new ExecError([cmd, ...args], { ...result, stderr: `${err.message}\n${result.stderr}` }));
          return;
        }
        if (code !== 0 && !opts.allowFail) {
          reject(new ExecError([cmd, ...args], result));
          return;
        }
        resolve(result);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
