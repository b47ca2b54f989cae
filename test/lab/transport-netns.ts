// A minimal two-namespace lab for the transport interop tests: namespaces A
// and B joined by one veth pair, each run's names carrying a random token so
// concurrent runs never collide. Everything started inside is killed by pid
// and the namespaces are deleted in destroy(), which is safe to call after a
// partial create().
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Side {
  ns: string;
  v4: string;
  v6: string;
}

export class NetnsPair {
  readonly token = randomBytes(3).toString("hex");
  readonly a: Side = { ns: `frtr-${this.token}-a`, v4: "10.77.0.1", v6: "fd77::1" };
  readonly b: Side = { ns: `frtr-${this.token}-b`, v4: "10.77.0.2", v6: "fd77::2" };
  /** Scratch directory for configs, control sockets and pid files. */
  readonly dir = mkdtempSync(join(tmpdir(), `frtr-${this.token}-`));
  private readonly children: ChildProcess[] = [];

  static async create(): Promise<NetnsPair> {
    const pair = new NetnsPair();
    try {
      await pair.setUp();
    } catch (e) {
      await pair.destroy();
      throw e;
    }
    return pair;
  }

  private async setUp(): Promise<void> {
    const vethA = `fta${this.token}`;
    const vethB = `ftb${this.token}`;
    await run("ip", ["netns", "add", this.a.ns]);
    await run("ip", ["netns", "add", this.b.ns]);
    await run("ip", [
      "link",
      "add",
      vethA,
      "netns",
      this.a.ns,
      "type",
      "veth",
      "peer",
      "name",
      vethB,
      "netns",
      this.b.ns,
    ]);
    for (const [side, dev] of [
      [this.a, vethA],
      [this.b, vethB],
    ] as const) {
      await run("ip", ["-n", side.ns, "link", "set", "lo", "up"]);
      await run("ip", ["-n", side.ns, "addr", "add", `${side.v4}/24`, "dev", dev]);
      await run("ip", ["-n", side.ns, "addr", "add", `${side.v6}/64`, "dev", dev, "nodad"]);
      await run("ip", ["-n", side.ns, "link", "set", dev, "up"]);
    }
  }

  exec(side: Side, cmd: string, args: string[]): Promise<string> {
    return run("ip", ["netns", "exec", side.ns, cmd, ...args]);
  }

  /** A long-running process inside `side`; killed (by pid) in destroy() if still alive. */
  spawn(side: Side, cmd: string, args: string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", side.ns, cmd, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.children.push(child);
    return child;
  }

  /** A kernel TCP counter (e.g. "TCPMD5Failure") as seen inside `side`'s namespace. */
  async tcpExtCounter(side: Side, name: string): Promise<number> {
    const text = await this.exec(side, "cat", ["/proc/net/netstat"]);
    const lines = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`no TcpExt counter ${name}`);
    return Number(values[i]);
  }

  /** Starts BIRD 2 in `side` with `config`; resolves once it has written its pid file. */
  async startBird(side: Side, name: string, config: string): Promise<{ pid: number; socket: string }> {
    const conf = join(this.dir, `${name}.conf`);
    const socket = join(this.dir, `${name}.ctl`);
    const pidFile = join(this.dir, `${name}.pid`);
    writeFileSync(conf, config);
    await this.exec(side, "bird", ["-c", conf, "-s", socket, "-P", pidFile]);
    const pid = await waitFor(`BIRD pid file ${pidFile}`, async () => {
      if (!existsSync(pidFile)) return undefined;
      const n = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    });
    return { pid, socket };
  }

  async birdc(socket: string, command: string): Promise<string> {
    return run("birdc", ["-s", socket, ...command.split(" ")]);
  }

  async destroy(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
    }
    for (const side of [this.a, this.b]) {
      // Whatever still runs in our namespaces was started by this lab (BIRD daemonizes, so it is not a child).
      const pids = await run("ip", ["netns", "pids", side.ns]).catch(() => "");
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
      await run("ip", ["netns", "del", side.ns]).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Reads a child's stdout as JSON lines; `next(pred)` waits for the first unread line matching. */
export class JsonLines {
  readonly seen: Record<string, unknown>[] = [];
  private waiters: {
    pred: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];

  constructor(child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const msg = JSON.parse(line) as Record<string, unknown>;
      this.seen.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  next(
    what: string,
    pred: (m: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const already = this.seen.find(pred);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}
