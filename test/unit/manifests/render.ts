// Renders a kustomization with the real kubectl, as `kubectl apply -k` would.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { isObject, type Json } from "./kube-shapes";

/**
 * kubectl: $KUBECTL if set (to test another build, e.g. Debian's 1.20), else
 * the first on $PATH, else the usual places. None is a failure, not a skip:
 * scripts/setup.sh installs one, and a skipped test proves nothing.
 */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBECTL) return env.KUBECTL;
  const dirs = [...(env.PATH ?? "").split(delimiter).filter((d) => d !== ""), "/usr/bin", "/usr/local/bin"];
  for (const dir of dirs) {
    const candidate = join(dir, "kubectl");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  assert.fail("kubectl not found on PATH (scripts/setup.sh installs Debian's kubernetes-client)");
}

/** kubectl's client version ("v1.20.2", "v1.32.4-dispatcher"), for messages. */
export function kubectlVersion(kubectl: string): string {
  // `--short` is gone from new kubectls and JSON output exists in all of them.
  const out = execFileSync(kubectl, ["version", "--client", "-o", "json"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const parsed: unknown = JSON.parse(out);
  const client = isObject(parsed) ? parsed.clientVersion : undefined;
  return isObject(client) && typeof client.gitVersion === "string" ? client.gitVersion : "unknown";
}

// kustomize v5 reads `bases` (the only way kubectl 1.20's v2.0.3 takes a
// directory) but says it is deprecated; anything else on stderr is news.
const EXPECTED_STDERR = /^# Warning: 'bases' is deprecated\..*$/;

/** `kubectl kustomize DIR`, parsed: one object per YAML document. */
export function kustomize(kubectl: string, dir: string): Json[] {
  const r = spawnSync(kubectl, ["kustomize", dir], {
    encoding: "utf8",
    // No cluster is involved; keep a developer's kubeconfig out of it.
    env: { ...process.env, KUBECONFIG: "/nonexistent/kubeconfig" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `kubectl kustomize ${dir} failed:\n${r.stderr}`);
  const unexpected = r.stderr.split("\n").filter((l) => l.trim() !== "" && !EXPECTED_STDERR.test(l));
  assert.deepEqual(unexpected, [], `kubectl kustomize ${dir} printed on stderr`);
  const docs = parseAllDocuments(r.stdout);
  if (!Array.isArray(docs)) assert.fail(`kubectl kustomize ${dir}: not a YAML stream`);
  return docs.map((d, i) => {
    assert.deepEqual(d.errors, [], `kubectl kustomize ${dir}: document ${i}`);
    const value: unknown = d.toJS();
    assert.ok(isObject(value), `kubectl kustomize ${dir}: document ${i} is not a mapping`);
    return value;
  });
}
