// control.group: the group whose members may use the control socket besides
// root, given by name (looked up in /etc/group, as the agent runs without NSS
// helpers in its image) or as a numeric gid.
import { readFileSync } from "node:fs";

export class SocketGroupError extends Error {}

/** The gid for `group`; throws SocketGroupError for a name that is no group. */
export function resolveGroup(group: string | number, groupFile: string): number {
  if (typeof group === "number") return group;
  for (const line of groupFile.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new SocketGroupError(`control.group: no group named "${group}" in /etc/group`);
}

/** resolveGroup against this host's /etc/group. */
export function systemGroupId(group: string | number): number {
  return resolveGroup(group, typeof group === "number" ? "" : readFileSync("/etc/group", "utf8"));
}
