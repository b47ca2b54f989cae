// "show kernel": where the kernel table and the chosen routes disagree.
import type { KernelData } from "../../control/protocol";

export const KERNEL_NOT_CONFIGURED = "kernel sync is not configured";

const hops = (h: readonly string[]) => (h.length === 0 ? "-" : h.join(","));

export function formatKernel(d: KernelData): string {
  if (!d.configured) return KERNEL_NOT_CONFIGURED;
  const state = d.synced ? "in sync" : "not in sync";
  const lines = [`Kernel: ${d.installed ?? 0} routes installed by flatroute, ${state}`];
  if (d.differences.length === 0) {
    lines.push("No differences between the chosen routes and the kernel table");
    return lines.join("\n");
  }
  lines.push("Network                                   Difference  Chosen                    Kernel");
  for (const x of d.differences) {
    const row = `${x.prefix.padEnd(41)} ${x.kind.padEnd(11)} ${hops(x.chosen).padEnd(25)} ${hops(x.kernel)}`;
    lines.push(x.detail ? `${row}  (${x.detail})` : row);
  }
  return lines.join("\n");
}
