// TCP MD5 passwords read from Secrets. The value never leaves this module in
// a message: callers get either the password or a reason that names only the
// Secret and key.
import type { Secret, SecretKeyRef } from "./resources";

/** Linux caps TCP MD5 keys at 80 bytes (TCP_MD5SIG_MAXKEYLEN), as the config file does. */
export const MAX_PASSWORD_BYTES = 80;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The password `ref` names. `stringData` wins over `data` when both hold the
 * key, as the API server merges them on write (fakes may keep stringData). One
 * trailing newline is dropped, as for the config file's passwordFile: `echo
 * secret | base64` is the usual way such a Secret is made.
 */
export function readPassword(
  secrets: ReadonlyMap<string, Secret>,
  ref: SecretKeyRef,
): { ok: true; password: string } | { ok: false; reason: string } {
  const secret = secrets.get(ref.name);
  const where = `Secret "${ref.name}"`;
  if (secret === undefined) return { ok: false, reason: `${where} not found in the agent's namespace` };
  let value: string | undefined;
  const plain = secret.stringData?.[ref.key];
  const encoded = secret.data?.[ref.key];
  if (typeof plain === "string") {
    value = plain;
  } else if (typeof encoded === "string") {
    const compact = encoded.replace(/\s+/g, "");
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      return { ok: false, reason: `${where} key "${ref.key}" is not valid base64` };
    }
    value = Buffer.from(compact, "base64").toString("utf8");
  } else {
    return { ok: false, reason: `${where} has no key "${ref.key}"` };
  }
  value = value.replace(/\r?\n$/, "");
  const bytes = Buffer.byteLength(value);
  if (bytes === 0) return { ok: false, reason: `${where} key "${ref.key}" is empty` };
  if (bytes > MAX_PASSWORD_BYTES) {
    return {
      ok: false,
      reason: `${where} key "${ref.key}" holds ${bytes} bytes; TCP MD5 allows 1..${MAX_PASSWORD_BYTES}`,
    };
  }
  return { ok: true, password: value };
}
