// The command outputs shown in the documentation, from real runs: builds the
// mesh lab (test/lab/cluster-lab.ts, four nodes in Kubernetes mode against the
// fake API server), runs the real `flatroutec` and `kubectl`, replaces what
// differs from run to run (times, durations, ages, the lab's token and
// temporary paths) by fixed placeholders, and compares the result with
// docs/generated/*.txt and the docs' marked blocks:
//
//   <!-- generated:show-protocols -->
//   ```
//   ...the normalized output...
//   ```
//   <!-- /generated -->
//
//   node dist/scripts/doc-outputs.js           report drift, exit 1 if any
//   node dist/scripts/doc-outputs.js --write   rewrite the .txt files and the marked blocks
//
// test/interop/doc-outputs.test.ts runs the same generation and asserts no drift.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GROUP_VERSION } from "../src/k8s/resources";
import { ClusterLab } from "../test/lab/cluster-lab";
import { controlRequest } from "../test/lab/control-client";
import { run } from "../test/lab/exec";
import { Lab } from "../test/lab/netns";
import { FLATROUTEC_BIN as FLATROUTEC, REPO_ROOT } from "../test/lab/peers/flatroute";
import { waitFor } from "../test/lab/wait";

export const DOCS_DIR = join(REPO_ROOT, "docs");
export const GENERATED_DIR = join(DOCS_DIR, "generated");

/** The outputs, by name: docs/generated/NAME.txt and `<!-- generated:NAME -->` in the docs. */
export const OUTPUT_NAMES = [
  "show-protocols",
  "show-route",
  "show-status",
  "kubectl-get-bgpnodestatuses",
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];
export type Outputs = Record<OutputName, string>;

/** What a raw output must be cleaned of, known only at run time. */
export interface RunFacts {
  /** The lab's per-run token ("fr" + 4 hex digits), in namespace names and paths. */
  token: string;
  /** The lab's temporary directory (config files, sockets). */
  labDir: string;
}

/** Placeholders: same width as what they replace where a column layout depends on it. */
export const PLACEHOLDERS = {
  clock: "HH:MM:SS.mmm",
  date: "YYYY-MM-DD",
  duration: "<duration>",
  age: "<age>",
  labDir: "/tmp/flatroute-lab",
} as const;

function replaceAll(text: string, literal: string, placeholder: string): string {
  return literal === "" ? text : text.split(literal).join(placeholder);
}

/**
 * Replaces the volatile parts of one command's output. Each rule matches one
 * known shape only, so anything else that changes (a column, a word, an
 * address, a count) still shows up as drift.
 */
export function normalizeOutput(name: OutputName, raw: string, facts: RunFacts): string {
  let text = raw.replace(/\r\n/g, "\n").trimEnd();
  text = replaceAll(text, facts.labDir, PLACEHOLDERS.labDir);
  if (/\w/.test(facts.token)) text = replaceAll(text, facts.token, "<lab>");
  switch (name) {
    case "show-protocols":
    case "show-route":
      // "Since" times: HH:MM:SS.mmm today, a date when older (never in a fresh lab).
      text = text.replace(/\b\d\d:\d\d:\d\d\.\d{3}\b/g, PLACEHOLDERS.clock);
      break;
    case "show-status":
      text = text
        .replace(/\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\b/g, `${PLACEHOLDERS.date} ${PLACEHOLDERS.clock}`)
        .replace(/^Uptime is (\d+d )?\d\d:\d\d:\d\d$/m, `Uptime is ${PLACEHOLDERS.duration}`);
      break;
    case "kubectl-get-bgpnodestatuses":
      text = normalizeAgeColumn(text);
      break;
  }
  return `${text}\n`;
}

/** kubectl's AGE column (the last one): "42s", "2m", "3m7s", "5h", "2d"... */
function normalizeAgeColumn(text: string): string {
  const lines = text.split("\n");
  const header = lines[0] ?? "";
  const at = header.lastIndexOf("AGE");
  if (at < 0 || at + 3 !== header.length) return text;
  return lines
    .map((line, i) => {
      if (i === 0) return line;
      const age = line.slice(at);
      return /^(\d+[smhdy])+$/.test(age) ? line.slice(0, at) + PLACEHOLDERS.age : line;
    })
    .join("\n");
}

/** Runs the mesh lab and returns every output, normalized. */
export async function generateOutputs(progress: (line: string) => void = () => undefined): Promise<Outputs> {
  const lab = Lab.create();
  try {
    progress(`lab ${lab.token}: building the mesh topology`);
    const c = await ClusterLab.build(lab, { topology: "mesh", progress });
    await c.waitConverged();
    const node1 = c.nodes.find((n) => n.name === "node1");
    if (!node1) throw new Error("the mesh lab has no node1");
    // Every session Established and every status written before anything is captured.
    await waitStable(c, node1.socket);
    const flatroutec = async (words: string[]) =>
      (await run(process.execPath, [FLATROUTEC, "-s", node1.socket, ...words])).stdout;
    const kubectl = async (args: string[]) =>
      (
        await run(
          "kubectl",
          ["--kubeconfig", lab.path("admin.kubeconfig"), "--cache-dir", lab.path("kube-cache"), ...args],
          { env: { ...process.env, HOME: lab.dir } },
        )
      ).stdout;
    const raw: Outputs = {
      "show-protocols": await flatroutec(["show", "protocols"]),
      "show-route": await flatroutec(["show", "route"]),
      "show-status": await flatroutec(["show", "status"]),
      "kubectl-get-bgpnodestatuses": await kubectl(["get", "bgpnodestatuses"]),
    };
    const facts: RunFacts = { token: lab.token, labDir: lab.dir };
    const out = {} as Outputs;
    for (const name of OUTPUT_NAMES) out[name] = normalizeOutput(name, raw[name], facts);
    return out;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n${lab.logs()}`);
  } finally {
    await lab.teardown();
  }
}

/** Waits until node1 shows every session up and every node's status says all its sessions are. */
async function waitStable(c: ClusterLab, socket: string): Promise<void> {
  await waitFor(() => controlRequest(socket, "show protocols") as Promise<{ bgpState: string }[]>, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: "every session of node1 to be Established",
    until: (peers) => peers.length > 0 && peers.every((p) => p.bgpState === "Established"),
  });
  await waitFor(() => c.api.list(GROUP_VERSION, "BGPNodeStatus"), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: "every node's BGPNodeStatus to show all sessions up",
    until: (items) =>
      items.length === c.nodes.length &&
      items.every((o) => {
        const s = (o as { status?: { established?: number; peersTotal?: number } }).status;
        return (
          s !== undefined && s.peersTotal !== undefined && s.peersTotal > 0 && s.established === s.peersTotal
        );
      }),
  });
}

// ---- the docs' marked blocks ---------------------------------------------------

const BLOCK = /<!-- generated:([a-z0-9-]+) -->\n```[^\n]*\n([\s\S]*?)```\n<!-- \/generated -->/g;

export interface MarkedBlock {
  file: string;
  name: string;
  body: string;
}

/** Every `<!-- generated:NAME -->` block in README.md and docs/*.md. */
export function markedBlocks(): MarkedBlock[] {
  const out: MarkedBlock[] = [];
  for (const file of docFiles()) {
    for (const m of readFileSync(file, "utf8").matchAll(BLOCK)) out.push({ file, name: m[1]!, body: m[2]! });
  }
  return out;
}

export function docFiles(): string[] {
  return [
    join(REPO_ROOT, "README.md"),
    ...readdirSync(DOCS_DIR)
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => join(DOCS_DIR, f)),
  ];
}

/** The text with every marked block's body replaced by the output of its name. */
export function embedOutputs(text: string, outputs: Outputs): string {
  return text.replace(BLOCK, (whole, name: string) => {
    const body = outputs[name as OutputName];
    if (body === undefined) return whole;
    const fence = whole.slice(whole.indexOf("```"), whole.indexOf("\n", whole.indexOf("```")));
    return `<!-- generated:${name} -->\n${fence}\n${body}\`\`\`\n<!-- /generated -->`;
  });
}

/** Every difference between the outputs and what is committed, one line each; [] when none. */
export function drift(outputs: Outputs): string[] {
  const problems: string[] = [];
  for (const name of OUTPUT_NAMES) {
    const file = join(GENERATED_DIR, `${name}.txt`);
    if (!existsSync(file)) problems.push(`${file} is missing`);
    else if (readFileSync(file, "utf8") !== outputs[name]) problems.push(`${file} differs from a fresh run`);
  }
  for (const b of markedBlocks()) {
    const want = outputs[b.name as OutputName];
    if (want === undefined) problems.push(`${b.file}: unknown generated block "${b.name}"`);
    else if (b.body !== want) problems.push(`${b.file}: block "${b.name}" differs from a fresh run`);
  }
  return problems;
}

export function writeOutputs(outputs: Outputs): string[] {
  const changed: string[] = [];
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const name of OUTPUT_NAMES) {
    const file = join(GENERATED_DIR, `${name}.txt`);
    if (!existsSync(file) || readFileSync(file, "utf8") !== outputs[name]) {
      writeFileSync(file, outputs[name]);
      changed.push(file);
    }
  }
  for (const file of docFiles()) {
    const before = readFileSync(file, "utf8");
    const after = embedOutputs(before, outputs);
    if (after !== before) {
      writeFileSync(file, after);
      changed.push(file);
    }
  }
  return changed;
}

async function main(): Promise<number> {
  const write = process.argv.includes("--write");
  const raw = process.argv.includes("--print");
  const outputs = await generateOutputs((line) => console.error(line));
  if (raw) for (const name of OUTPUT_NAMES) console.log(`== ${name}\n${outputs[name]}`);
  if (write) {
    const changed = writeOutputs(outputs);
    console.log(changed.length === 0 ? "nothing changed" : `updated:\n  ${changed.join("\n  ")}`);
    return 0;
  }
  const problems = drift(outputs);
  for (const p of problems) console.log(p);
  if (problems.length > 0) console.log("run: node dist/scripts/doc-outputs.js --write");
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
