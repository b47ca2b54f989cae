// The container image, as data: what the final stage holds and how it starts
// the agent. Both the Dockerfile (rendered from here, see renderDockerfile)
// and the test that rebuilds the final stage in a temporary directory
// without a container engine (test/unit/packaging/image.test.ts) read this
// module, so they cannot disagree; test/unit/packaging/image.test.ts also
// fails when the committed Dockerfile or .dockerignore differ from the
// rendering. Change the image here, then:
//   npm run build && node dist/scripts/image-spec.js --write
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { AGENT_ENV, AGENT_NODE_FLAGS } from "../src/cli/node-flags";

/** Repository root, from dist/scripts/ (where tsc puts this module). */
export const ROOT = resolve(__dirname, "..", "..");

/**
 * The Node release of every stage, pinned to an exact tag so a rebuild gets
 * the runtime the tests ran on. The build machine could not reach a registry
 * to look up the digest; append `@sha256:…` to BASE_IMAGE once known.
 */
export const NODE_VERSION = "20.20.2";
export const BASE_IMAGE = `node:${NODE_VERSION}-bookworm-slim`;

/** The build stage: full install, `npm run build` over the whole tree (as CI builds it). */
export const BUILD_DIR = "/src";
/** What the build stage copies from the build context (and all .dockerignore lets through). */
export const BUILD_CONTEXT = ["tsconfig.json", "src", "test", "bench", "scripts"] as const;
export const LOCK_FILES = ["package.json", "package-lock.json"] as const;

/**
 * The production install, in the deps stage and in the reproduction alike.
 * --ignore-scripts: koffi's is the only install script in the lock, and
 * package.json's allowScripts already refuses it (npm 11); the image's
 * npm 10 does not read allowScripts, so the flag keeps both installs the
 * same. koffi loads its prebuilt binary from @koromix/koffi-<platform>.
 */
export const PROD_INSTALL: readonly string[] = [
  "npm",
  "ci",
  "--omit=dev",
  "--ignore-scripts",
  "--no-audit",
  "--no-fund",
];
export const DEPS_DIR = "/deps";

/** Where the final stage keeps the agent; owned by root, world-readable, never written to. */
export const APP_DIR = "/opt/flatroute";
/** On the PATH of the base image, so `kubectl exec POD -- flatroutec show protocols` works. */
export const BIN_DIR = "/usr/local/bin";

export interface ImageCopy {
  /** The stage the files come from; "context" is the build context. */
  from: "build" | "deps" | "context";
  /** Relative to that stage's directory (BUILD_DIR, DEPS_DIR) or the context. */
  src: string;
  /** Relative to APP_DIR. */
  dest: string;
  /** Octal mode: a context file keeps the checkout's mode otherwise (a 0600 one would lock out non-root). */
  chmod?: string;
}

/** Everything the final stage copies: production modules, the built agent, package.json (the version). */
export const FINAL_COPIES: readonly ImageCopy[] = [
  { from: "deps", src: "node_modules", dest: "node_modules" },
  { from: "build", src: "dist/src", dest: "dist/src" },
  { from: "context", src: "package.json", dest: "package.json", chmod: "0644" },
];

interface PackageJson {
  version: string;
  bin: Record<string, string>;
}

function packageJson(): PackageJson {
  return JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as PackageJson;
}

/** package.json's "bin": the commands linked into BIN_DIR. */
export function packageBins(): Record<string, string> {
  return packageJson().bin;
}

/** Image environment: the agent's (src/cli/node-flags.ts), read by glibc at process start. */
export const IMAGE_ENV: Readonly<Record<string, string>> = { ...AGENT_ENV };

/**
 * `flatroute agent`, with the node flags on node's command line as the bin's
 * shebang passes them. Not via NODE_OPTIONS: Node 20 accepts
 * --max-semi-space-size there, but it would then apply to every node process
 * in the container (flatroutec, npm) and a pod's env could silently drop it.
 */
export function entrypoint(): string[] {
  return ["node", ...AGENT_NODE_FLAGS, `${APP_DIR}/${packageBins()["flatroute"]}`];
}
export const CMD: readonly string[] = ["agent", "--config", "/etc/flatroute/flatroute.yaml"];
/** Root, for the reasons in the Dockerfile's comment (capabilities). */
export const USER = "0:0";

/** A JSON (exec form) argument list, spaced the way Dockerfiles are usually written. */
function json(argv: readonly string[]): string {
  return `[${argv.map((a) => JSON.stringify(a)).join(", ")}]`;
}

export function renderDockerfile(): string {
  const bins = packageBins();
  const links = Object.entries(bins).map(([name, file]) => `ln -s ${APP_DIR}/${file} ${BIN_DIR}/${name}`);
  const copies = FINAL_COPIES.map((c) => {
    const from = c.from === "context" ? "" : `--from=${c.from} `;
    const chmod = c.chmod ? `--chmod=${c.chmod} ` : "";
    const src =
      c.from === "build" ? `${BUILD_DIR}/${c.src}` : c.from === "deps" ? `${DEPS_DIR}/${c.src}` : c.src;
    return `COPY ${from}${chmod}${src} ${APP_DIR}/${c.dest}`;
  });
  return `# GENERATED from scripts/image-spec.ts (edit there, then
# \`npm run build && node dist/scripts/image-spec.js --write\`); a unit test
# rebuilds the final stage from the same spec and runs the agent from it.
#
# Build (BuildKit, for COPY --chmod): docker build -t flatroute:${packageJson().version} .
# Base: ${BASE_IMAGE}, an exact tag (add its @sha256 digest when it is known).

# 1. build: the whole tree compiled as CI compiles it; bins made executable.
FROM ${BASE_IMAGE} AS build
WORKDIR ${BUILD_DIR}
COPY ${LOCK_FILES.join(" ")} ./
RUN ${json(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"])}
${BUILD_CONTEXT.map((p) => `COPY ${p} ./${p}`).join("\n")}
RUN ["npm", "run", "build"]

# 2. deps: production modules only, straight from the lock file.
FROM ${BASE_IMAGE} AS deps
WORKDIR ${DEPS_DIR}
COPY ${LOCK_FILES.join(" ")} ./
RUN ${json(PROD_INSTALL)}

# 3. the image: production modules, the built agent (dist/src only) and package.json.
FROM ${BASE_IMAGE}
${copies.join("\n")}
RUN ${links.join(" && ")}
# The agent's environment and node flags (src/cli/node-flags.ts), read when
# the process starts. The flags go on node's command line, as in the bin's
# shebang: Node 20 accepts them in NODE_OPTIONS too, but there they would
# apply to every node process in the container and a pod's env could drop them.
${Object.entries(IMAGE_ENV)
  .map(([k, v]) => `ENV ${k}=${v}`)
  .join("\n")}
# Root, but with no more than routing needs: run it with every capability
# dropped except NET_ADMIN (kernel routes over rtnetlink) and NET_BIND_SERVICE
# (port 179), not privileged (manifests/daemonset.yaml). NET_RAW is only for
# raw IP sockets (BFD); this version opens none, and TTL security
# (IP_TTL/IP_MINTTL) needs no capability. Capabilities reach a non-root
# process only as ambient or file capabilities, which neither Kubernetes nor
# this image set, hence root. Nothing under ${APP_DIR} is written and all of
# it is world-readable, so another user works once it has those capabilities
# and can write the two places the agent writes: the control socket's
# directory (/run/flatroute) and, in Kubernetes mode, the CNI config
# directory (/etc/cni/net.d).
USER ${USER}
ENTRYPOINT ${json(entrypoint())}
CMD ${json(CMD)}
`;
}

/** An allow-list: the context holds only what the Dockerfile copies (no node_modules, dist, .git). */
export function renderDockerignore(): string {
  const allowed = [...new Set([...LOCK_FILES, ...BUILD_CONTEXT])];
  return `# GENERATED from scripts/image-spec.ts: everything out except what the Dockerfile copies.
*
${allowed.map((p) => `!${p}`).join("\n")}
`;
}

if (require.main === module) {
  const files: [string, string][] = [
    ["Dockerfile", renderDockerfile()],
    [".dockerignore", renderDockerignore()],
  ];
  if (process.argv[2] === "--write") {
    for (const [name, text] of files) writeFileSync(resolve(ROOT, name), text);
  } else {
    for (const [name, text] of files) process.stdout.write(`==> ${name} <==\n${text}`);
  }
}
