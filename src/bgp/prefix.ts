// Text <-> wire form of prefixes and addresses. Used at the edges (config,
// CLI, logs); hot paths keep the byte form.
import { isIP } from "node:net";
import { Afi, type Prefix } from "./codec/types";

export function parseAddress(text: string): Uint8Array {
  const kind = isIP(text);
  if (kind === 4) return Uint8Array.from(text.split(".").map(Number));
  if (kind === 6) return parseIPv6(text);
  throw new Error(`invalid IP address "${text}"`);
}

function parseIPv6(text: string): Uint8Array {
  let head = text;
  let tail4: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tail4 = text
      .slice(lastColon + 1)
      .split(".")
      .map(Number);
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const [left, right] = head.split("::");
  const words = (s: string | undefined) => (s ? s.split(":").map((w) => Number.parseInt(w, 16)) : []);
  const l = words(left);
  const r = right === undefined ? [] : words(right);
  const all = right === undefined ? l : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = all[i]! >> 8;
    out[i * 2 + 1] = all[i]! & 0xff;
  }
  if (tail4.length === 4) out.set(tail4, 12);
  return out;
}

export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new Error(`address of ${bytes.length} bytes`);
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952: compress the longest run of two or more zero words.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Parses "10.244.1.0/24" or "fd00::/64"; rejects host bits set, so typos do not silently widen. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf("/");
  if (slash < 0) throw new Error(`invalid prefix "${text}": missing /length`);
  const address = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  const max = address.length * 8;
  if (!/^\d+$/.test(lenText) || length > max)
    throw new Error(`invalid prefix "${text}": length must be 0..${max}`);
  const masked = maskAddress(address, length);
  if (!bytesEqual(masked, address)) {
    throw new Error(
      `invalid prefix "${text}": host bits set (did you mean ${formatPrefix({ afi: afiOf(address), length, address: masked })}?)`,
    );
  }
  return { afi: afiOf(address), length, address };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.address)}/${p.length}`;
}

export function afiOf(address: Uint8Array): Afi {
  return address.length === 4 ? Afi.IPv4 : Afi.IPv6;
}

export function maskAddress(address: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(address.length);
  const full = length >> 3;
  out.set(address.subarray(0, full));
  const rem = length & 7;
  if (rem && full < address.length) out[full] = address[full]! & (0xff << (8 - rem));
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function prefixEquals(a: Prefix, b: Prefix): boolean {
  return a.afi === b.afi && a.length === b.length && bytesEqual(a.address, b.address);
}
