// The kubeconfig a client needs for this server. Plain HTTP is only accepted
// by client-node when the cluster says insecure-skip-tls-verify; kubectl
// ignores the flag for http:// but tolerates it.

import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export function kubeconfigText(server: string, user: string, token: string, namespace = "default"): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user, namespace } }],
    "current-context": "fake",
    preferences: {},
  });
}

export async function writeKubeconfigFile(
  path: string,
  server: string,
  user: string,
  token: string,
): Promise<void> {
  await writeFile(path, kubeconfigText(server, user, token), { mode: 0o600 });
}
