// Kernel TCP counters inside a lab namespace. A refused connection leaves no
// trace in userspace, so negative tests prove the kernel dropped it
// (TCPMD5Failure, TCPMinTTLDrop) instead of waiting and hoping.
import type { Netns } from "./netns";

/** A TcpExt counter from /proc/net/netstat (e.g. "TCPMD5Failure") as seen inside `ns`. */
export async function tcpExtCounter(ns: Netns, name: string): Promise<number> {
  const text = (await ns.exec("cat", ["/proc/net/netstat"])).stdout;
  const lines = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
  if (lines.length < 2) throw new Error(`no TcpExt lines in /proc/net/netstat of ${ns.name}`);
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const i = names.indexOf(name);
  if (i < 0) throw new Error(`no TcpExt counter ${name}`);
  return Number(values[i]);
}
