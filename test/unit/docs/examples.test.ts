// The documentation's examples are checked against the code, so a doc cannot
// show a config the agent rejects, a key or metric that does not exist, a
// command the CLI lacks, or a link to nothing:
// - every ```yaml block in README.md and docs/*.md: a Kubernetes object (its
//   first document has apiVersion/kind) is validated, our custom resources with
//   src/k8s/validate.ts, other kinds at least for apiVersion/kind/metadata.name;
//   any other block is a flatroute config file and must load with
//   parseConfigText. ```yaml fragment marks a deliberately partial config: it is
//   loaded on top of a minimal routerId/asn, so its keys and values are still
//   checked. `<!-- not-a-config -->` on the line before a block exempts it
//   entirely (listed below as "exempt", so exemptions stay visible);
// - every key of the config schema has a row in docs/configuration.md, under
//   its section's heading, and every row there is a real key;
// - every metric the agent registers is in docs/metrics.md, and
//   docs/grafana-dashboard.json queries only registered names;
// - every control command has a row in docs/cli.md;
// - docs/topology.svg is well-formed XML;
// - relative links (and #anchors into Markdown files) resolve;
// - the command outputs embedded between <!-- generated:NAME --> markers are
//   the committed docs/generated/NAME.txt (scripts/doc-outputs.ts writes both;
//   test/interop/doc-outputs.test.ts reruns the lab and checks for drift).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { GENERATED_DIR, markedBlocks, OUTPUT_NAMES } from "../../../scripts/doc-outputs";
import { ConfigError, parseConfigText } from "../../../src/config/load";
import { KNOWN_KEYS } from "../../../src/config/schema";
import { COMMANDS } from "../../../src/control/commands";
import { createMetrics } from "../../../src/control/metrics";
import { GROUP_VERSION, type Node } from "../../../src/k8s/resources";
import { parseNodeOverrides, validateBgpConfiguration, validateBgpPeer } from "../../../src/k8s/validate";
import { FakeSpeaker, peerStatus } from "../control/fake-speaker";
import {
  anchors,
  checkXml,
  type FencedBlock,
  fencedBlocks,
  links,
  sectionUnder,
  tableKeys,
} from "./markdown";

// dist/test/unit/docs -> repository root
const REPO = resolve(__dirname, "../../../..");
const DOCS = join(REPO, "docs");

const docFiles = [
  join(REPO, "README.md"),
  ...readdirSync(DOCS)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join(DOCS, f)),
];
const rel = (file: string) => relative(REPO, file);
const read = (file: string) => readFileSync(file, "utf8");

const NOT_A_CONFIG = "<!-- not-a-config -->";
/** What a `yaml fragment` block is loaded on top of. */
const FRAGMENT_BASE = { routerId: "192.0.2.11", asn: 64512 };
/**
 * Partial configs in docs this test's authors do not maintain (so they carry
 * no `fragment` info string): checked as fragments. Each entry must still
 * match a block, so the list cannot go stale.
 */
const FRAGMENTS_ELSEWHERE = [{ file: "docs/routing.md", firstLine: "policies:" }];

const blocks: FencedBlock[] = docFiles.flatMap((f) => fencedBlocks(rel(f), read(f)));
const yamlBlocks = blocks.filter((b) => b.lang === "yaml" || b.lang === "yml");

type Kind = "kubernetes" | "config" | "fragment" | "exempt";

function kindOf(b: FencedBlock): Kind {
  if (b.before === NOT_A_CONFIG) return "exempt";
  const docs = parseAllDocuments(b.body);
  const first = (Array.isArray(docs) ? docs[0] : docs)?.toJS() as unknown;
  if (first !== null && typeof first === "object" && ("apiVersion" in first || "kind" in first))
    return "kubernetes";
  if (/\bfragment\b/.test(b.info)) return "fragment";
  if (FRAGMENTS_ELSEWHERE.some((e) => e.file === b.file && b.body.trimStart().startsWith(e.firstLine)))
    return "fragment";
  return "config";
}

async function configProblems(text: string): Promise<string[]> {
  try {
    await parseConfigText(text, { file: "example.yaml", baseDir: tmpdir() });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

function kubeProblems(obj: unknown): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return ["expected a Kubernetes object"];
  const o = obj as Record<string, unknown>;
  const { apiVersion, kind } = o;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind are required"];
  if (apiVersion.startsWith("bgp.flatroute.io/") && apiVersion !== GROUP_VERSION)
    return [`apiVersion ${apiVersion}: the served version is ${GROUP_VERSION}`];
  if (apiVersion === GROUP_VERSION) {
    if (kind === "BGPConfiguration") {
      const r = validateBgpConfiguration(o);
      if (!r.ok) return r.problems;
      return r.name === "default" ? [] : [`BGPConfiguration ${r.name}: the agent reads only "default"`];
    }
    if (kind === "BGPPeer") {
      const r = validateBgpPeer(o);
      return r.ok ? [] : r.problems;
    }
    if (kind !== "BGPNodeStatus") return [`kind ${kind} is not one of ${GROUP_VERSION}'s`];
  }
  const name = (o.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name !== "string" || name === "") return [`${kind}: metadata.name is required`];
  if (kind === "Node") return parseNodeOverrides(o as unknown as Node).problems;
  if (kind === "Secret") {
    const data = (o.data ?? {}) as Record<string, unknown>;
    return Object.entries(data)
      .filter(([, v]) => typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
      .map(([k]) => `Secret ${name}: data.${k} is not base64`);
  }
  return [];
}

describe("documentation examples", () => {
  it("finds the examples to check (an empty glob proves nothing)", () => {
    const kinds = yamlBlocks.map(kindOf);
    assert.ok(docFiles.length >= 10, `only ${docFiles.length} Markdown files found`);
    for (const k of ["kubernetes", "config", "fragment"] as const)
      assert.ok(
        kinds.filter((x) => x === k).length > 0,
        `no ${k} YAML blocks found in ${docFiles.length} files`,
      );
    assert.ok(
      kinds.filter((x) => x === "exempt").length <= 3,
      "more than three <!-- not-a-config --> exemptions: make them fragments or real examples",
    );
  });

  it("knows every partial config kept in other people's docs", () => {
    for (const e of FRAGMENTS_ELSEWHERE) {
      const found = yamlBlocks.some((b) => b.file === e.file && b.body.trimStart().startsWith(e.firstLine));
      assert.ok(
        found,
        `${e.file}: no YAML block starts with "${e.firstLine}"; remove it from FRAGMENTS_ELSEWHERE`,
      );
    }
  });

  for (const b of yamlBlocks) {
    const kind = kindOf(b);
    it(`${b.file}:${b.line} (${kind})`, async () => {
      if (kind === "exempt") {
        assert.equal(b.before, NOT_A_CONFIG);
        return;
      }
      const docs = parseAllDocuments(b.body);
      const list = Array.isArray(docs) ? docs : [docs];
      for (const d of list) assert.deepEqual(d.errors.map(String), [], `${b.file}:${b.line}: YAML syntax`);
      if (kind === "kubernetes") {
        const problems = list.flatMap((d) => kubeProblems(d.toJS()));
        assert.deepEqual(problems, [], `${b.file}:${b.line}`);
        return;
      }
      assert.equal(list.length, 1, `${b.file}:${b.line}: a config file is one YAML document`);
      let text = b.body;
      if (kind === "fragment") {
        const parsed = list[0]!.toJS() as unknown;
        assert.ok(parsed && typeof parsed === "object" && !Array.isArray(parsed), "a fragment is a mapping");
        text = stringify({ ...FRAGMENT_BASE, ...(parsed as Record<string, unknown>) });
      }
      assert.deepEqual(await configProblems(text), [], `${b.file}:${b.line}`);
    });
  }
});

describe("documentation coverage", () => {
  const configuration = read(join(DOCS, "configuration.md"));

  for (const [section, keys] of Object.entries(KNOWN_KEYS)) {
    it(`docs/configuration.md has a row for every key of ${section === "root" ? "the top level" : section}`, () => {
      const body = sectionUnder(configuration, (h) =>
        section === "root"
          ? h === "Top level"
          : h.includes(`\`${section}\``) || h.includes(`\`${section}[]\``),
      );
      assert.ok(body !== undefined, `docs/configuration.md: no heading for ${section}`);
      const rows = tableKeys(body);
      const missing = keys.filter((k) => !rows.includes(k));
      assert.deepEqual(missing, [], `keys of ${section} without a row in docs/configuration.md`);
      const unknown = rows.filter((k) => !(keys as readonly string[]).includes(k));
      assert.deepEqual(unknown, [], `rows in docs/configuration.md's ${section} table that are no keys`);
    });
  }

  async function registeredMetrics(): Promise<{ name: string; type: string }[]> {
    const speaker = new FakeSpeaker();
    speaker.peerList = [peerStatus({ name: "tor1", address: "192.0.2.1" })];
    const { registry } = createMetrics(
      {
        speaker,
        reloads: () => ({ count: 0, lastSuccess: true }),
        fib: () => ({ installed: 0, errors: 0 }),
        eventLoop: () => ({ maxDelayMs: 0, recentMaxDelayMs: 0, seconds: [] }),
      },
      { version: "test" },
    );
    return (await registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type) }));
  }

  /** Registered names plus the series names histograms and summaries expose. */
  function seriesNames(metrics: { name: string; type: string }[]): Set<string> {
    const out = new Set<string>();
    for (const m of metrics) {
      out.add(m.name);
      if (m.type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) out.add(m.name + s);
      if (m.type === "summary") for (const s of ["_sum", "_count"]) out.add(m.name + s);
    }
    return out;
  }

  it("docs/metrics.md names every registered metric and no other", async () => {
    const metrics = await registeredMetrics();
    const text = read(join(DOCS, "metrics.md"));
    const wildcards = [...text.matchAll(/`(flatroute_[a-z0-9_]*)\*`/g)].map((m) => m[1]!);
    assert.ok(
      wildcards.length > 0,
      "docs/metrics.md: no `flatroute_process_*`-style line for the default metrics",
    );
    assert.ok(metrics.length > 20, `only ${metrics.length} metrics registered`);
    for (const m of metrics) {
      if (wildcards.some((w) => m.name.startsWith(w))) continue;
      assert.ok(text.includes(`\`${m.name}\``), `docs/metrics.md does not mention \`${m.name}\``);
    }
    const names = seriesNames(metrics);
    for (const m of text.matchAll(/\bflatroute_[a-z0-9_]+\b(?!\*)/g)) {
      if (wildcards.includes(m[0])) continue;
      assert.ok(names.has(m[0]), `docs/metrics.md mentions ${m[0]}, which the agent does not export`);
    }
  });

  it("docs/grafana-dashboard.json is a dashboard that queries only registered metrics", async () => {
    const names = seriesNames(await registeredMetrics());
    const dashboard = JSON.parse(read(join(DOCS, "grafana-dashboard.json"))) as {
      title?: unknown;
      uid?: unknown;
      schemaVersion?: unknown;
      panels?: { title?: unknown; type?: unknown; targets?: { expr?: unknown }[]; panels?: unknown[] }[];
      templating?: { list?: { name?: unknown; query?: unknown }[] };
    };
    assert.equal(typeof dashboard.title, "string");
    assert.equal(typeof dashboard.uid, "string");
    assert.equal(typeof dashboard.schemaVersion, "number");
    assert.ok(Array.isArray(dashboard.panels) && dashboard.panels.length >= 8, "expected panels");
    const exprs: string[] = [];
    for (const v of dashboard.templating?.list ?? []) if (typeof v.query === "string") exprs.push(v.query);
    for (const p of dashboard.panels) {
      assert.equal(typeof p.title, "string");
      assert.equal(typeof p.type, "string");
      for (const t of p.targets ?? []) {
        assert.equal(typeof t.expr, "string", `panel ${String(p.title)}: a target without expr`);
        exprs.push(t.expr as string);
      }
    }
    assert.ok(exprs.length >= 10, "expected queries");
    const used = new Set<string>();
    for (const e of exprs) for (const m of e.matchAll(/\bflatroute_[a-z0-9_]+/g)) used.add(m[0]);
    const unknown = [...used].filter((n) => !names.has(n));
    assert.deepEqual(unknown, [], "metric names the agent does not export");
    for (const core of [
      "flatroute_bgp_session_state",
      "flatroute_bgp_prefixes_accepted",
      "flatroute_fib_routes_installed",
    ])
      assert.ok(used.has(core), `the dashboard does not show ${core}`);
  });

  it("docs/cli.md has a row for every control command", () => {
    const text = read(join(DOCS, "cli.md"));
    assert.ok(COMMANDS.length >= 10);
    for (const c of COMMANDS) {
      const row = new RegExp(`^\\| \`${c.name.replace(/ /g, " ")}[\` ]`, "m");
      assert.match(text, row, `docs/cli.md: no table row for \`${c.name}\``);
    }
  });

  it("docs/topology.svg is well-formed SVG with the parts of the picture", () => {
    const svg = read(join(DOCS, "topology.svg"));
    const { problems, root, elements } = checkXml(svg);
    assert.deepEqual(problems, []);
    assert.equal(root, "svg");
    assert.match(svg, /<svg[^>]*\sxmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<svg[^>]*\sviewBox="[\d.\s-]+"/);
    assert.ok(elements.includes("title"), "an accessible <title>");
    for (const part of ["ToR", "flatroute", "pod", "API server", "eBGP"])
      assert.ok(svg.includes(part), `the picture has no "${part}"`);
    assert.match(read(join(REPO, "README.md")), /docs\/topology\.svg/, "README.md shows the picture");
  });

  it("relative links and anchors in README.md and docs/*.md resolve", () => {
    const broken: string[] = [];
    for (const file of docFiles) {
      const text = read(file);
      for (const l of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(l.target)) continue;
        const [path = "", anchor] = l.target.split("#");
        const target =
          path === "" ? file : path.startsWith("/") ? join(REPO, path) : resolve(dirname(file), path);
        const where = `${rel(file)}:${l.line}: ${l.target}`;
        if (!existsSync(target)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (
          anchor &&
          target.endsWith(".md") &&
          statSync(target).isFile() &&
          !anchors(read(target)).has(anchor)
        )
          broken.push(`${where} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("no package registry's host is named in README.md or docs/", () => {
    const hosts =
      /\b(registry\.npmjs\.org|npmjs\.(com|org)|docker\.io|hub\.docker\.com|quay\.io|ghcr\.io|gcr\.io|registry\.k8s\.io|pkgs\.k8s\.io)\b/;
    for (const file of docFiles) assert.doesNotMatch(read(file), hosts, rel(file));
    assert.doesNotMatch(read(join(DOCS, "grafana-dashboard.json")), hosts);
  });
});

describe("generated command outputs in the docs", () => {
  it("every marked block is its committed docs/generated file, and every output is shown", () => {
    const marked = markedBlocks();
    assert.ok(marked.length >= OUTPUT_NAMES.length, "expected <!-- generated:NAME --> blocks in the docs");
    for (const b of marked) {
      const file = join(GENERATED_DIR, `${b.name}.txt`);
      assert.ok(existsSync(file), `${rel(b.file)}: generated block "${b.name}" has no ${rel(file)}`);
      assert.equal(
        b.body,
        read(file),
        `${rel(b.file)}: block "${b.name}" was edited by hand (run node dist/scripts/doc-outputs.js --write)`,
      );
    }
    for (const name of OUTPUT_NAMES)
      assert.ok(
        marked.some((b) => b.name === name),
        `docs/generated/${name}.txt is not shown in any doc`,
      );
  });
});
