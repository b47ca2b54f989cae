// Run by `node` as a process of its own: the fake API server for a lab
// cluster that may outlive the program that built it (`npm run demo -- --keep`).
// Listens on a UNIX socket (agents reach it through api-proxy in their
// namespaces; the lab administers it with ApiAdmin) and on HTTPS on loopback
// for kubectl. Installs the project's CRDs and the agents' RBAC, then prints
// {"ready": true, "httpsUrl": ...} and serves until SIGTERM. SIGUSR2 pauses it
// (an API outage), SIGHUP resumes it.
import { CLUSTER_RULES, NAMESPACE_RULES } from "../../src/k8s/rbac";
import { FakeApiServer } from "../support/fake-apiserver";
import { AGENT_NAMESPACE, AGENT_TOKEN, AGENT_USER, loadCrds } from "./k8s-cluster";

async function main(): Promise<void> {
  const socketPath = process.argv[2];
  if (!socketPath) throw new Error("usage: api-server-process SOCKET");
  const api = await FakeApiServer.start({ port: 0, httpsPort: 0, socketPath, bookmarkIntervalMs: 1000 });
  for (const crd of loadCrds()) api.installCrd(crd);
  api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: AGENT_NAMESPACE } });
  api.addUser(AGENT_USER, AGENT_TOKEN);
  api.setRules(AGENT_USER, { cluster: CLUSTER_RULES, namespaced: { [AGENT_NAMESPACE]: NAMESPACE_RULES } });
  // An outage on demand (the lab's pauseApi/resumeApi): listeners closed and connections cut, state
  // kept. SIGUSR1 is Node's debugger signal, hence USR2 and HUP. While paused nothing else holds the
  // event loop: this timer keeps the process alive.
  setInterval(() => undefined, 1 << 30);
  process.on("SIGUSR2", () => void api.pause());
  process.on("SIGHUP", () => void api.resume());
  process.on("SIGTERM", () => {
    api.stop().then(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ ready: true, httpsUrl: api.httpsUrl })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
