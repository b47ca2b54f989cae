// Runs a CNI network configuration list the way a container runtime (libcni)
// does, with the real plugin binaries: ADD runs each plugin in order, handing
// the previous plugin's result on as `prevResult`; DEL runs them in reverse.
// The plugins run inside a "node" network namespace (where the bridge and the
// host ends of the veths go) and wire a "pod" namespace, so nothing touches
// the host's own network. Used by the CNI interop test, the end-to-end tests
// and the demo to create pods.
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";

export const DEFAULT_CNI_PLUGIN_DIR = "/usr/lib/cni";

/** One plugin's entry in a conflist: its type plus its own settings. */
export interface CniPluginEntry {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniNetworkList {
  cniVersion: string;
  name: string;
  plugins: CniPluginEntry[];
}

/** A result as the CNI spec (0.4.0/1.0.0) defines it. */
export interface CniResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  /** `interface` indexes `interfaces`; `address` is CIDR notation ("10.244.7.2/24"). */
  ips: { address: string; gateway?: string; interface?: number }[];
  routes: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

export interface CniInvocation {
  /** The conflist: a parsed object (e.g. from the file the agent wrote) or its JSON text. */
  conflist: unknown;
  /** Namespace the plugins run in (`ip netns exec`): the node. */
  nodeNs: string;
  /** The pod's namespace: a name under /var/run/netns, or an absolute path. */
  podNs: string;
  containerId: string;
  /** Default "eth0". */
  ifName?: string;
  /** Default /usr/lib/cni. */
  pluginDir?: string;
  /** Capability arguments (libcni's runtimeConfig), e.g. `{ portMappings: [...] }`: given only to plugins declaring them. */
  capabilityArgs?: Record<string, unknown>;
  /** CNI_ARGS, e.g. `{ K8S_POD_NAME: "p" }` (IgnoreUnknown is added). */
  args?: Record<string, string>;
  /** Per plugin call; default 30 s. */
  timeoutMs?: number;
}

/** A plugin's failure: the spec's error object when it printed one. */
export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: "ADD" | "DEL",
    readonly code: number | undefined,
    readonly detail: string,
  ) {
    super(
      `CNI ${command} failed in plugin ${plugin}${code !== undefined ? ` (code ${code})` : ""}: ${detail}`,
    );
    this.name = "CniError";
  }
}

/** Fails with a clear message when a plugin binary is missing (the tests must not skip silently). */
export async function assertCniPlugins(
  types: readonly string[],
  pluginDir = DEFAULT_CNI_PLUGIN_DIR,
): Promise<void> {
  const missing: string[] = [];
  for (const type of types) {
    try {
      await access(join(pluginDir, type), constants.X_OK);
    } catch {
      missing.push(join(pluginDir, type));
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `CNI plugins not found: ${missing.join(", ")}; install containernetworking-plugins (scripts/setup.sh does)`,
    );
  }
}

/** ADD through the whole list; returns the last plugin's result. On failure the list is deleted again (as a runtime would). */
export async function cniAdd(o: CniInvocation): Promise<CniResult> {
  const list = parseConflist(o.conflist);
  await assertCniPlugins(
    list.plugins.map((p) => p.type),
    o.pluginDir,
  );
  let prev: unknown;
  try {
    for (const plugin of list.plugins) {
      prev = await invoke("ADD", o, list, plugin, prev);
    }
  } catch (e) {
    await cniDel(o).catch(() => undefined);
    throw e;
  }
  return toResult(prev);
}

/** DEL through the list in reverse order; `prevResult` is ADD's final result when known (as libcni's cache gives it). */
export async function cniDel(o: CniInvocation & { prevResult?: CniResult }): Promise<void> {
  const list = parseConflist(o.conflist);
  const errors: Error[] = [];
  // Every plugin gets its DEL even if one fails, so leases and links are released as far as possible.
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await invoke("DEL", o, list, plugin, o.prevResult);
    } catch (e) {
      errors.push(e as Error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

function parseConflist(input: unknown): CniNetworkList {
  const value: unknown = typeof input === "string" ? JSON.parse(input) : input;
  if (typeof value !== "object" || value === null) throw new Error("conflist: expected an object");
  const v = value as Record<string, unknown>;
  if (typeof v.cniVersion !== "string" || typeof v.name !== "string" || !Array.isArray(v.plugins)) {
    throw new Error("conflist: expected cniVersion, name and plugins");
  }
  const plugins = v.plugins.map((p: unknown, i): CniPluginEntry => {
    if (typeof p !== "object" || p === null || typeof (p as { type?: unknown }).type !== "string") {
      throw new Error(`conflist: plugins[${i}] has no type`);
    }
    return p as CniPluginEntry;
  });
  if (plugins.length === 0) throw new Error("conflist: no plugins");
  return { cniVersion: v.cniVersion, name: v.name, plugins };
}

/** The network config one plugin reads on stdin, built as libcni builds it. */
function pluginConfig(
  o: CniInvocation,
  list: CniNetworkList,
  plugin: CniPluginEntry,
  prev: unknown,
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on && o.capabilityArgs && cap in o.capabilityArgs) runtimeConfig[cap] = o.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  if (prev !== undefined) conf.prevResult = prev;
  return conf;
}

async function invoke(
  command: "ADD" | "DEL",
  o: CniInvocation,
  list: CniNetworkList,
  plugin: CniPluginEntry,
  prev: unknown,
): Promise<unknown> {
  const pluginDir = o.pluginDir ?? DEFAULT_CNI_PLUGIN_DIR;
  const netns = o.podNs.startsWith("/") ? o.podNs : `/var/run/netns/${o.podNs}`;
  const cniArgs = Object.entries({ IgnoreUnknown: "1", ...o.args })
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
  // A runtime's environment: the CNI_ variables and a PATH (portmap runs iptables), nothing else.
  const env = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: o.containerId,
    CNI_NETNS: netns,
    CNI_IFNAME: o.ifName ?? "eth0",
    CNI_PATH: pluginDir,
    CNI_ARGS: cniArgs,
  };
  const stdin = JSON.stringify(pluginConfig(o, list, plugin, prev));
  const r = await runWithInput(
    "ip",
    ["netns", "exec", o.nodeNs, join(pluginDir, plugin.type)],
    stdin,
    env,
    o.timeoutMs ?? 30_000,
  );
  if (r.code !== 0) {
    let code: number | undefined;
    let detail = (r.stderr || r.stdout).trim() || `exit ${r.code}`;
    try {
      const err = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
      code = err.code;
      detail = [err.msg, err.details].filter(Boolean).join(": ") || detail;
    } catch {
      // Not the spec's error object: keep the raw output.
    }
    throw new CniError(plugin.type, command, code, detail);
  }
  if (command === "DEL") return undefined;
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    throw new CniError(plugin.type, command, undefined, `result is not JSON: ${r.stdout.slice(0, 500)}`);
  }
}

function toResult(raw: unknown): CniResult {
  const r = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<CniResult>;
  return {
    cniVersion: r.cniVersion ?? "",
    interfaces: r.interfaces ?? [],
    ips: r.ips ?? [],
    routes: r.routes ?? [],
    ...(r.dns !== undefined ? { dns: r.dns } : {}),
  };
}

function runWithInput(
  cmd: string,
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
