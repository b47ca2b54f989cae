// The container image without a container engine. Two halves:
// - the committed Dockerfile and .dockerignore are what scripts/image-spec.ts
//   renders, and, read back instruction by instruction, say what the spec
//   says (so neither a hand edit nor a renderer bug slips past);
// - the final stage rebuilt in a temporary directory from that same spec
//   (production install from the lock file, the built output, package.json,
//   the bin links), then the agent started from it with the image's
//   environment, entrypoint and arguments, queried with the image's
//   flatroutec, and stopped with SIGTERM.
// Paths inside the image are absolute; the reproduction puts them under a
// temporary "image root" and rewrites absolute arguments the same way.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APP_DIR,
  BASE_IMAGE,
  BIN_DIR,
  BUILD_CONTEXT,
  BUILD_DIR,
  CMD,
  DEPS_DIR,
  entrypoint,
  FINAL_COPIES,
  IMAGE_ENV,
  LOCK_FILES,
  NODE_VERSION,
  PROD_INSTALL,
  packageBins,
  renderDockerfile,
  renderDockerignore,
  USER,
} from "../../../scripts/image-spec";
import { AGENT_ENV, AGENT_NODE_FLAGS } from "../../../src/cli/node-flags";
import { bareEnv, type PackageJson, ROOT, run, runOk } from "./run";

// ---------------------------------------------------------------------------
// Reading a Dockerfile back (the subset the renderer writes).

interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  rest: string;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line.trim());
    assert.ok(m, `unreadable Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      assert.ok(from, `FROM ${rest}`);
      stages.push({ image: from[1]!, ...(from[2] ? { name: from[2] } : {}), instructions: [] });
      continue;
    }
    assert.ok(stages.length > 0, `${keyword} before FROM`);
    stages.at(-1)!.instructions.push({ keyword, rest });
  }
  return stages;
}

function execForm(rest: string): string[] {
  const argv = JSON.parse(rest) as unknown;
  assert.ok(
    Array.isArray(argv) && argv.every((a) => typeof a === "string"),
    `not an exec-form list: ${rest}`,
  );
  return argv as string[];
}

interface Copy {
  from?: string;
  chmod?: string;
  sources: string[];
  dest: string;
}

function parseCopy(rest: string): Copy {
  const words = rest.split(/\s+/);
  const copy: Partial<Copy> = {};
  while (words[0]?.startsWith("--")) {
    const flag = /^--(from|chmod)=(.+)$/.exec(words.shift()!);
    assert.ok(flag, `COPY flag in ${rest}`);
    copy[flag[1] as "from" | "chmod"] = flag[2]!;
  }
  assert.ok(words.length >= 2, `COPY ${rest}`);
  return { ...copy, dest: words.pop()!, sources: words };
}

function only(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

// ---------------------------------------------------------------------------

describe("container image (Dockerfile from scripts/image-spec.ts)", () => {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const stages = parseDockerfile(dockerfile);
  const final = stages.at(-1)!;
  const bins = packageBins();

  describe("the Dockerfile", () => {
    it("is the spec's rendering, and so is .dockerignore", () => {
      for (const [name, expected] of [
        ["Dockerfile", renderDockerfile()],
        [".dockerignore", renderDockerignore()],
      ] as const) {
        const actual = readFileSync(join(ROOT, name), "utf8").split("\n");
        const wanted = expected.split("\n");
        const line = wanted.findIndex((l, i) => l !== actual[i]);
        const at = line < 0 ? actual.length : line;
        assert.ok(
          line < 0 && actual.length === wanted.length,
          `${name} differs from scripts/image-spec.ts at line ${at + 1}:\n` +
            `  committed: ${actual[at] ?? "(end of file)"}\n  spec:      ${wanted[at] ?? "(end of file)"}\n` +
            "edit scripts/image-spec.ts, then: npm run build && node dist/scripts/image-spec.js --write",
        );
      }
    });

    it("pins every stage to the exact Node release the tests run on", () => {
      assert.deepEqual(
        stages.map((s) => [s.name, s.image]),
        [
          ["build", BASE_IMAGE],
          ["deps", BASE_IMAGE],
          [undefined, BASE_IMAGE],
        ],
      );
      assert.match(BASE_IMAGE, /^node:\d+\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
      assert.equal(NODE_VERSION.split(".")[0], process.versions.node.split(".")[0], "node major");
    });

    it("builds with the full install and `npm run build`, which makes the bins executable", () => {
      const build = stages.find((s) => s.name === "build")!;
      assert.deepEqual(only(build, "WORKDIR"), [{ keyword: "WORKDIR", rest: BUILD_DIR }]);
      const copied = only(build, "COPY").flatMap((i) => parseCopy(i.rest).sources);
      assert.deepEqual(copied, [...LOCK_FILES, ...BUILD_CONTEXT]);
      const runs = only(build, "RUN").map((i) => execForm(i.rest));
      assert.deepEqual(runs.at(-1), ["npm", "run", "build"]);
      const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
      assert.match(pkg.scripts["build"]!, /&& node scripts\/chmod-bins\.js$/);
    });

    it("installs production modules with the spec's command", () => {
      const deps = stages.find((s) => s.name === "deps")!;
      assert.deepEqual(only(deps, "WORKDIR"), [{ keyword: "WORKDIR", rest: DEPS_DIR }]);
      assert.deepEqual(
        only(deps, "COPY").map((i) => parseCopy(i.rest).sources),
        [[...LOCK_FILES]],
      );
      assert.deepEqual(
        only(deps, "RUN").map((i) => execForm(i.rest)),
        [[...PROD_INSTALL]],
      );
    });

    it("copies, links, sets and starts in the final stage exactly what the spec says", () => {
      const known = new Set(["COPY", "RUN", "ENV", "USER", "ENTRYPOINT", "CMD"]);
      assert.deepEqual(
        final.instructions.filter((i) => !known.has(i.keyword)),
        [],
        "instructions the reproduction does not model",
      );
      const copies = only(final, "COPY").map((i) => parseCopy(i.rest));
      assert.deepEqual(
        copies,
        FINAL_COPIES.map((c) => ({
          ...(c.from === "context" ? {} : { from: c.from }),
          ...(c.chmod ? { chmod: c.chmod } : {}),
          sources: [
            c.from === "build" ? `${BUILD_DIR}/${c.src}` : c.from === "deps" ? `${DEPS_DIR}/${c.src}` : c.src,
          ],
          dest: `${APP_DIR}/${c.dest}`,
        })),
      );
      const runs = only(final, "RUN");
      assert.equal(runs.length, 1);
      const links = runs[0]!.rest.split(" && ").map((cmd) => {
        const m = /^ln -s (\S+) (\S+)$/.exec(cmd);
        assert.ok(m, `final-stage RUN does more than link bins: ${cmd}`);
        return [m[1]!, m[2]!];
      });
      assert.deepEqual(
        links,
        Object.entries(bins).map(([name, file]) => [`${APP_DIR}/${file}`, `${BIN_DIR}/${name}`]),
      );
      const env = Object.fromEntries(
        only(final, "ENV").map((i) => {
          const m = /^(\w+)=(\S*)$/.exec(i.rest);
          assert.ok(m, `ENV ${i.rest}`);
          return [m[1]!, m[2]!];
        }),
      );
      assert.deepEqual(env, { ...IMAGE_ENV });
      assert.deepEqual(IMAGE_ENV, AGENT_ENV);
      assert.deepEqual(only(final, "USER"), [{ keyword: "USER", rest: USER }]);
      const entry = only(final, "ENTRYPOINT").map((i) => execForm(i.rest));
      assert.deepEqual(entry, [entrypoint()]);
      assert.deepEqual(entry[0], ["node", ...AGENT_NODE_FLAGS, `${APP_DIR}/${bins["flatroute"]}`]);
      assert.deepEqual(
        only(final, "CMD").map((i) => execForm(i.rest)),
        [[...CMD]],
      );
      assert.equal(CMD[0], "agent");
    });
  });

  describe("the final stage, rebuilt in a temporary directory", function () {
    // npm ci from the cache `npm ci` filled takes seconds; cold caches longer.
    this.timeout(180_000);

    let tmp = "";
    /** The image's "/". */
    let image = "";
    const inImage = (path: string) => join(image, path);
    const appDir = () => inImage(APP_DIR);
    /** An argument of the image's command line, with absolute paths moved into the reproduction. */
    const arg = (a: string) => (a.startsWith("/") ? inImage(a) : a);
    const env = () => bareEnv(inImage(BIN_DIR), IMAGE_ENV);

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), "flatroute-image-"));
      image = join(tmp, "image");
      // Stage "deps": the lock files and the production install. --prefer-offline
      // only decides where npm fetches from, not what it installs.
      const deps = join(tmp, "deps");
      mkdirSync(deps);
      for (const f of LOCK_FILES) cpSync(join(ROOT, f), join(deps, f));
      await runOk(PROD_INSTALL[0]!, [...PROD_INSTALL.slice(1), "--prefer-offline"], { cwd: deps });
      // Stage "build" is this checkout, already compiled by the test run's build.
      const stageDir = { build: ROOT, deps, context: ROOT };
      for (const c of FINAL_COPIES) {
        const dest = join(appDir(), c.dest);
        mkdirSync(join(dest, ".."), { recursive: true });
        cpSync(join(stageDir[c.from], c.src), dest, { recursive: true, verbatimSymlinks: true });
        if (c.chmod) chmodSync(dest, Number.parseInt(c.chmod, 8));
      }
      // `npm run build`'s second step (the test run may have compiled with plain tsc).
      await runOk(process.execPath, [join(ROOT, "scripts", "chmod-bins.js"), appDir()]);
      mkdirSync(inImage(BIN_DIR), { recursive: true });
      for (const [name, file] of Object.entries(bins)) {
        symlinkSync(join(appDir(), file), join(inImage(BIN_DIR), name));
      }
    });

    after(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it("holds the spec's files and no others", () => {
      assert.deepEqual(readdirSync(image).sort(), ["opt", "usr"]);
      const top = [...new Set(FINAL_COPIES.map((c) => c.dest.split("/")[0]!))].sort();
      assert.deepEqual(readdirSync(appDir()).sort(), top);
      assert.deepEqual(readdirSync(join(appDir(), "dist")), ["src"]);
      assert.deepEqual(readdirSync(inImage(BIN_DIR)).sort(), Object.keys(bins).sort());
      for (const [name, file] of Object.entries(bins)) {
        const link = join(inImage(BIN_DIR), name);
        assert.ok(lstatSync(link).isSymbolicLink());
        assert.equal(readlinkSync(link), join(appDir(), file));
        assert.equal(statSync(link).mode & 0o111, 0o111, `${name} is not executable`);
      }
    });

    it("has every production module and no devDependency", () => {
      const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
        packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
      };
      const missing: string[] = [];
      const dev: string[] = [];
      for (const [path, entry] of Object.entries(lock.packages)) {
        if (!path.startsWith("node_modules/")) continue;
        const present = existsSync(join(appDir(), path, "package.json"));
        if (entry.dev && present) dev.push(path);
        if (!entry.dev && !entry.optional && !entry.devOptional && !present) missing.push(path);
      }
      assert.deepEqual(dev, [], "devDependencies in the image");
      assert.deepEqual(missing, [], "production modules missing from the image");
    });

    it("puts flatroute and flatroutec on the PATH", async () => {
      const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
      const version = await runOk("flatroute", ["version"], { cwd: image, env: env() });
      assert.equal(version.stdout.trim(), `flatroute ${pkg.version}`);
      const help = await runOk("flatroutec", ["--help"], { cwd: image, env: env() });
      assert.match(help.stdout, /^Usage: flatroutec /);
    });

    it("starts the agent with the entrypoint and arguments, answers flatroutec, exits 0 on SIGTERM", async () => {
      // A config at the path CMD names that touches nothing of the host:
      // no kernel routes, no BGP listener, no peers, metrics on loopback.
      const socket = inImage("/run/flatroute/flatroute.sock");
      const config = inImage(CMD[CMD.indexOf("--config") + 1]!);
      mkdirSync(join(config, ".."), { recursive: true });
      writeFileSync(
        config,
        [
          "routerId: 192.0.2.1",
          "asn: 64512",
          "listen: []",
          "kernel: {enabled: false}",
          "metrics: {address: 127.0.0.1, port: 0}",
          `control: {socket: ${JSON.stringify(socket)}}`,
          "",
        ].join("\n"),
      );

      const [node, ...nodeArgs] = entrypoint();
      assert.equal(node, "node");
      const agent = spawn(process.execPath, [...nodeArgs, ...CMD].map(arg), {
        cwd: image,
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      agent.stdout.on("data", (d: Buffer) => (output += d.toString()));
      agent.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        agent.once("exit", (code, signal) => resolve({ code, signal })),
      );
      try {
        const status = await waitForStatus(socket, agent);
        assert.match(status, /flatroute/i, status);
        assert.match(status, /192\.0\.2\.1/, status);
      } catch (e) {
        agent.kill("SIGKILL");
        throw new Error(`${(e as Error).message}\n--- agent output\n${output}`);
      }
      agent.kill("SIGTERM");
      assert.deepEqual(await exited, { code: 0, signal: null }, output);
    });

    /** Polls `flatroutec --socket S show status` until the agent answers. */
    async function waitForStatus(socket: string, agent: ChildProcess): Promise<string> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (agent.exitCode !== null || agent.signalCode !== null) {
          throw new Error(`the agent exited (${agent.exitCode ?? agent.signalCode}) before answering`);
        }
        const r = await run("flatroutec", ["--socket", socket, "show", "status"], { cwd: image, env: env() });
        if (r.code === 0) return r.stdout;
        if (Date.now() > deadline) throw new Error(`flatroutec show status: ${r.code}\n${r.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });
});
