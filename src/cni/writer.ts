// Keeps the node's CNI config in step with its Pod CIDRs: writes
// <confDir>/<fileName> atomically when the CIDRs change, never replaces a file
// another network owns unless told to, and says in problem() (/readyz) why
// pods would not get addresses from our Pod CIDR.
import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { buildConflist, renderConflist } from "./conflist";
import type { CniSettings } from "./settings";

export interface CniLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface CniWriterOptions {
  /**
   * How often the file and the directory are checked again while the agent
   * runs (a foreign config appearing or going away, our file deleted); 0: only
   * on Pod CIDR changes. Default 30 s.
   */
  recheckMs?: number;
}

export const NO_POD_CIDR = "no Pod CIDR assigned yet";

/** The extensions libcni's ConfFiles lists; the runtime loads the lexically first such file. */
const CONFIG_EXTENSIONS = new Set([".conf", ".conflist", ".json"]);

export class CniConfigWriter {
  private cidrs: readonly string[] = [];
  private current: string | undefined = NO_POD_CIDR;
  /** Syncs run one at a time, so two quick updates cannot interleave their writes. */
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly recheckMs: number;

  constructor(
    private readonly settings: CniSettings,
    private readonly log: CniLog,
    options: CniWriterOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? 30_000;
  }

  /** Our file's path. */
  get path(): string {
    return join(this.settings.confDir, this.settings.fileName);
  }

  /** Brings the file in line with these Pod CIDRs. Never rejects: failures end up in problem(). */
  update(podCidrs: readonly string[]): Promise<void> {
    this.cidrs = [...podCidrs];
    return this.enqueue();
  }

  /** Why pods on this node would not get addresses from our config; undefined when all is well. */
  problem(): string | undefined {
    return this.current;
  }

  /** Stops the periodic re-check. The file stays: pods keep starting while the agent restarts. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enqueue(): Promise<void> {
    const next = this.queue.then(() => this.sync());
    this.queue = next;
    return next;
  }

  private async sync(): Promise<void> {
    let found: string | undefined;
    try {
      found = await this.reconcile();
    } catch (e) {
      found = `cannot write ${this.path}: ${(e as Error).message}`;
    }
    this.report(found);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.recheckMs <= 0 || this.cidrs.length === 0) return;
    // unref: a pending re-check must not keep the process alive at shutdown.
    this.timer = setTimeout(() => void this.enqueue(), this.recheckMs).unref();
  }

  private report(found: string | undefined): void {
    if (found === this.current) return;
    this.current = found;
    if (found !== undefined) this.log.warn(`CNI: ${found}`);
    else this.log.info(`CNI: ${this.path} is the node's CNI config`);
  }

  /** One pass; returns the problem left, if any. */
  private async reconcile(): Promise<string | undefined> {
    const cidrs = this.cidrs;
    if (cidrs.length === 0) return NO_POD_CIDR;
    const s = this.settings;
    let text: string;
    try {
      text = renderConflist(
        buildConflist({
          podCidrs: cidrs,
          networkName: s.networkName,
          bridge: s.bridge,
          ...(s.mtu !== undefined ? { mtu: s.mtu } : {}),
          ...(s.ipamDataDir !== undefined ? { ipamDataDir: s.ipamDataDir } : {}),
        }),
      );
    } catch (e) {
      return `cannot build a CNI config for Pod CIDRs ${cidrs.join(", ")}: ${(e as Error).message}`;
    }
    // Not created: the runtime owns the directory (the DaemonSet mounts it), and one
    // that does not exist means a confDir nothing reads (a typo, or not a node).
    if (!(await isDirectory(s.confDir))) {
      return `CNI config directory ${s.confDir} does not exist (is cni.confDir the container runtime's?)`;
    }
    const existing = await readIfExists(this.path);
    if (existing !== text) {
      if (existing !== undefined) {
        const owner = networkNameOf(existing);
        if (owner !== s.networkName) {
          if (!s.overwrite) {
            return `foreign CNI config at ${this.path} (${describeOwner(owner)}) left in place; set cni.overwrite: true to replace it, or choose another cni.fileName`;
          }
          this.log.warn(`CNI: replacing ${this.path} (${describeOwner(owner)}) as cni.overwrite says`);
        }
      }
      await writeAtomically(this.path, text);
      this.log.info(`CNI: wrote ${this.path} for Pod CIDRs ${cidrs.join(", ")}`);
    }
    return this.shadowedBy();
  }

  /** A config sorting before ours wins: the runtime uses the first one it finds. */
  private async shadowedBy(): Promise<string | undefined> {
    const ours = this.settings.fileName;
    const entries = await readdir(this.settings.confDir, { withFileTypes: true });
    // Byte order, as Go's sort.Strings in libcni (the default JS sort matches it for ASCII names).
    const first = entries
      .filter((e) => !e.isDirectory() && CONFIG_EXTENSIONS.has(extname(e.name)))
      .map((e) => e.name)
      .sort()[0];
    if (first === undefined || first === ours) return undefined;
    const path = join(this.settings.confDir, first);
    const owner = networkNameOf((await readIfExists(path)) ?? "");
    return `foreign CNI config ${path} (${describeOwner(owner)}) sorts before ours (${this.path}) and the container runtime uses the first; remove it, or set cni.fileName to a name that sorts earlier`;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** The `name` of a CNI config file's JSON; undefined when it is not one. */
function networkNameOf(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && "name" in parsed) {
      const name = (parsed as { name: unknown }).name;
      if (typeof name === "string") return name;
    }
  } catch {
    // Not JSON: reported as not a CNI config.
  }
  return undefined;
}

function describeOwner(name: string | undefined): string {
  return name === undefined ? "not a readable CNI config" : `network "${name}"`;
}

/**
 * Temp file in the same directory (same filesystem, so rename is atomic),
 * fsync, rename, fsync of the directory: a reader sees the old file or the new
 * one, never a part, and a crash leaves one of the two. The temp name ends in
 * ".tmp" so the runtime never mistakes it for a config.
 */
async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const file = await open(tmp, "wx", 0o644);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
