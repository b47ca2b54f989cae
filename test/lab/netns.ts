// A disposable network lab: namespaces and veth links named with a per-run
// token (other test runs share this machine), processes spawned inside and
// tracked by pid, and a teardown that leaves nothing behind even on failure.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecOptions, type ExecResult, run } from "./exec";
import { sleep, waitFor } from "./wait";

const IFNAMSIZ_MAX = 15;
const TERM_GRACE_MS = 3_000;

export class Netns {
  constructor(
    readonly lab: Lab,
    readonly name: string,
    readonly role: string,
  ) {}

  exec(cmd: string, args: string[], opts?: ExecOptions): Promise<ExecResult> {
    return run("ip", ["netns", "exec", this.name, cmd, ...args], opts);
  }

  ip(args: string[], opts?: ExecOptions): Promise<ExecResult> {
    return run("ip", ["-n", this.name, ...args], opts);
  }

  /** Adds an address; IPv6 ones skip DAD so they are usable at once. */
  async addAddress(ifname: string, cidr: string): Promise<void> {
    const v6 = cidr.includes(":");
    await this.ip([...(v6 ? ["-6"] : []), "addr", "add", cidr, "dev", ifname, ...(v6 ? ["nodad"] : [])]);
  }

  /** Host route that pins the source address used to reach `dest`, so one link can carry many sessions. */
  async addSourceRoute(dest: string, ifname: string, src: string): Promise<void> {
    const v6 = dest.includes(":");
    await this.ip([
      ...(v6 ? ["-6"] : []),
      "route",
      "replace",
      v6 ? `${dest}/128` : `${dest}/32`,
      "dev",
      ifname,
      "src",
      src,
    ]);
  }

  /** Resolves once no IPv6 address in the namespace is tentative. */
  async waitAddressesReady(): Promise<void> {
    await waitFor(async () => (await this.ip(["-6", "addr", "show", "tentative"])).stdout.trim(), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: `IPv6 addresses in ${this.name} to leave the tentative state`,
      until: (out) => out === "",
    });
  }

  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): LabProcess {
    return this.lab.spawnIn(this, cmd, args, opts);
  }
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Log file name inside the lab directory; default derived from the command. */
  logName?: string;
  cwd?: string;
  /** Pipe stdin and stdout to the caller (a probe that reports on stdout); stderr still goes to the log. */
  pipeStdio?: boolean;
}

export class LabProcess {
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
    readonly logPath: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
      child.once("error", () => resolve());
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null && this.child.pid !== undefined;
  }

  get exitStatus(): string {
    if (this.running) return "running";
    return this.exitSignal ? `killed by ${this.exitSignal}` : `exited with ${this.exitCode}`;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch (e) {
      // Exited before its exit event reached us: nothing left to signal.
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }

  log(): string {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  /** For waitFor's giveUpIf: once the process has exited, waiting on it is pointless; says how it ended. */
  exitedReason(): string | undefined {
    return this.running ? undefined : `it ${this.exitStatus}:\n${this.log().slice(-3000)}`;
  }

  /** Waits for `probe` to hold while the daemon starts; fails early, with its log, if it exits instead. */
  async waitReady(
    probe: () => boolean | Promise<boolean>,
    opts: { timeoutMs: number; what: string; name: string },
  ): Promise<void> {
    await waitFor(probe, { timeoutMs: opts.timeoutMs, what: opts.what, giveUpIf: () => this.exitedReason() });
    if (!this.running) throw new Error(`${opts.name} exited at start (${this.exitStatus}):\n${this.log()}`);
  }

  /** SIGCONT (it may be frozen), SIGTERM, then SIGKILL after a grace period. */
  async stop(graceMs = TERM_GRACE_MS): Promise<void> {
    if (!this.running) return;
    this.signal("SIGCONT");
    this.signal("SIGTERM");
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut && this.running) {
      this.signal("SIGKILL");
      await this.exited;
    }
  }
}

const liveLabs = new Set<Lab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Safety net for a run that dies without reaching after() hooks: synchronous
  // kill of tracked pids and deletion of our namespaces.
  process.on("exit", () => {
    for (const lab of liveLabs) lab.teardownSync();
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      for (const lab of liveLabs) lab.teardownSync();
      process.exit(130);
    });
  }
}

/** A lab left running by `keep()`, as recorded for `teardownKept`. */
export interface KeptLab {
  token: string;
  dir: string;
  namespaces: string[];
  pids: number[];
  keptAt: string;
}

export class Lab {
  readonly token: string;
  readonly dir: string;
  readonly namespaces: Netns[] = [];
  readonly processes: LabProcess[] = [];
  private torndown = false;

  private constructor(token: string, dir: string) {
    this.token = token;
    this.dir = dir;
  }

  /** `token` is "fr" plus 4 random hex digits: unique per run, short enough for interface names. */
  static create(): Lab {
    const token = `fr${randomBytes(2).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), `flatroute-lab-${token}-`));
    const lab = new Lab(token, dir);
    liveLabs.add(lab);
    installExitHook();
    return lab;
  }

  name(role: string): string {
    const n = `${this.token}${role}`;
    if (n.length > IFNAMSIZ_MAX) throw new Error(`name ${n} is longer than ${IFNAMSIZ_MAX} characters`);
    return n;
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  async addNamespace(role: string): Promise<Netns> {
    const ns = new Netns(this, this.name(role), role);
    await run("ip", ["netns", "add", ns.name]);
    this.namespaces.push(ns);
    await ns.ip(["link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair between two namespaces; returns the interface names (a's end, b's end), both up. */
  async link(a: Netns, b: Netns): Promise<[string, string]> {
    const ifA = this.name(`${a.role}${b.role}`);
    const ifB = this.name(`${b.role}${a.role}`);
    // Created directly inside the namespaces: nothing ever appears in the host's.
    await run("ip", [
      "link",
      "add",
      ifA,
      "netns",
      a.name,
      "type",
      "veth",
      "peer",
      "name",
      ifB,
      "netns",
      b.name,
    ]);
    await a.ip(["link", "set", ifA, "up"]);
    await b.ip(["link", "set", ifB, "up"]);
    return [ifA, ifB];
  }

  spawnIn(ns: Netns, cmd: string, args: string[], opts: SpawnOptions = {}): LabProcess {
    // `ip netns exec` execs the command in place, so the pid we track is the daemon's.
    return this.track(ns.role, ns.name, "ip", ["netns", "exec", ns.name, cmd, ...args], cmd, opts);
  }

  /** A process in the host's namespace (the lab's fake API server: loopback and a UNIX socket only). */
  spawnHost(cmd: string, args: string[], opts: SpawnOptions = {}): LabProcess {
    return this.track("host", "the host namespace", cmd, args, cmd, opts);
  }

  private track(
    role: string,
    where: string,
    file: string,
    argv: string[],
    cmd: string,
    opts: SpawnOptions,
  ): LabProcess {
    const base = (opts.logName ?? cmd.split("/").pop() ?? "proc").replace(/[^\w.-]/g, "_");
    const logPath = this.path(`${role}-${base}-${this.processes.length}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(file, argv, {
      stdio: opts.pipeStdio ? ["pipe", "pipe", fd] : ["ignore", fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    closeSync(fd);
    const proc = new LabProcess(child, `${cmd} in ${where}`, logPath);
    this.processes.push(proc);
    return proc;
  }

  /** Every tracked process's log, for printing when a test fails. */
  logs(maxPerProcess = 4000): string {
    return this.processes
      .map((p) => {
        const text = p.log();
        const tail = text.length > maxPerProcess ? `…${text.slice(-maxPerProcess)}` : text;
        return `----- ${p.label} (pid ${p.child.pid}, ${p.exitStatus}) ${p.logPath}\n${tail}`;
      })
      .join("\n");
  }

  async teardown(): Promise<void> {
    if (this.torndown) return;
    this.torndown = true;
    await Promise.all(this.processes.map((p) => p.stop()));
    for (const ns of this.namespaces) {
      const left = await run("ip", ["netns", "pids", ns.name], { allowFail: true });
      for (const pid of left.stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
      await run("ip", ["netns", "del", ns.name], { allowFail: true });
    }
    liveLabs.delete(this);
    if (!process.env.FLATROUTE_KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Leaves the lab running after this process exits (`npm run demo -- --keep`):
   * no teardown on exit; returns what `teardownKept` needs to remove it later.
   */
  keep(): KeptLab {
    this.torndown = true;
    liveLabs.delete(this);
    for (const p of this.processes) p.child.unref();
    return {
      token: this.token,
      dir: this.dir,
      namespaces: this.namespaces.map((ns) => ns.name),
      pids: this.processes.filter((p) => p.running).map((p) => p.pid),
      keptAt: new Date().toISOString(),
    };
  }

  /** Removes a kept lab: its processes by pid, whatever still runs in its namespaces, the namespaces, its files. */
  static teardownKept(kept: KeptLab): void {
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const pid of kept.pids) {
      if (!alive(pid)) continue;
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone meanwhile
      }
    }
    const deadline = Date.now() + TERM_GRACE_MS;
    while (kept.pids.some(alive) && Date.now() < deadline) execFileSync("sleep", ["0.1"]);
    for (const pid of kept.pids.filter(alive)) process.kill(pid, "SIGKILL");
    for (const name of kept.namespaces) {
      try {
        const pids = execFileSync("ip", ["netns", "pids", name], { encoding: "utf8" });
        for (const pid of pids.split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
        execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    rmSync(kept.dir, { recursive: true, force: true });
  }

  /** Last-resort synchronous cleanup (process exit handler). */
  teardownSync(): void {
    if (this.torndown) return;
    this.torndown = true;
    for (const p of this.processes) {
      if (!p.running) continue;
      try {
        process.kill(p.pid, "SIGCONT");
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const ns of this.namespaces) {
      try {
        const pids = execFileSync("ip", ["netns", "pids", ns.name], { encoding: "utf8" });
        for (const pid of pids.split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
      } catch {
        // namespace gone or process gone
      }
      try {
        execFileSync("ip", ["netns", "del", ns.name], { stdio: "ignore" });
      } catch {
        // already deleted
      }
    }
    liveLabs.delete(this);
  }
}
