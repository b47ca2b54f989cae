// A process in a lab namespace that the harness talks to over its stdin and
// stdout, one line at a time (Lab.spawn sends stdout to a log file, and the
// latency run needs the lines as they come). Tracked by the lab like any
// other, so Lab.teardown() stops it; stderr goes to its log file.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createInterface } from "node:readline";
import { LabProcess, type Netns } from "../../test/lab/netns";

export interface PipedProcess {
  proc: LabProcess;
  send(line: string): void;
}

export function spawnPiped(
  ns: Netns,
  args: string[],
  logName: string,
  onLine: (line: string) => void,
): PipedProcess {
  const lab = ns.lab;
  const logPath = lab.path(`${ns.role}-${logName}-${lab.processes.length}.log`);
  const fd = openSync(logPath, "a");
  const child = spawn("ip", ["netns", "exec", ns.name, process.execPath, ...args], {
    stdio: ["pipe", "pipe", fd],
  });
  closeSync(fd);
  const proc = new LabProcess(child, `${logName} in ${ns.name}`, logPath);
  lab.processes.push(proc);
  createInterface({ input: child.stdout! }).on("line", onLine);
  child.stdin!.on("error", () => undefined);
  return { proc, send: (line) => child.stdin!.write(`${line}\n`) };
}
