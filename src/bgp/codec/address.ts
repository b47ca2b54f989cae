// Address text <-> bytes for the codec itself. The codec sits below the
// model layer (src/bgp/prefix.ts), so it keeps its own small, dependency-free
// version instead of importing upward.

export function ipv4ToBytes(text: string, out: Uint8Array = new Uint8Array(4), at = 0): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4) throw new RangeError(`invalid IPv4 address "${text}"`);
  for (let i = 0; i < 4; i++) {
    const s = parts[i]!;
    const n = Number(s);
    if (!/^\d{1,3}$/.test(s) || n > 255) throw new RangeError(`invalid IPv4 address "${text}"`);
    out[at + i] = n;
  }
  return out;
}

export function formatIPv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export function ipv6ToBytes(text: string, out: Uint8Array = new Uint8Array(16), at = 0): Uint8Array {
  const bad = () => new RangeError(`invalid IPv6 address "${text}"`);
  let head = text;
  const words: number[] = [];
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (lastColon < 0) throw bad();
  if (text.includes(".", lastColon)) {
    tail4 = ipv4ToBytes(text.slice(lastColon + 1));
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) throw bad();
  const parse = (s: string): number[] => {
    if (s === "") return [];
    return s.split(":").map((w) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw bad();
      return Number.parseInt(w, 16);
    });
  };
  const left = parse(halves[0]!);
  if (halves.length === 2) {
    const right = parse(halves[1]!);
    const fill = 8 - left.length - right.length;
    if (fill < 1) throw bad();
    words.push(...left, ...new Array<number>(fill).fill(0), ...right);
  } else {
    words.push(...left);
  }
  if (words.length !== 8) throw bad();
  for (let i = 0; i < 8; i++) {
    out[at + i * 2] = words[i]! >> 8;
    out[at + i * 2 + 1] = words[i]! & 0xff;
  }
  if (tail4) out.set(tail4, at + 12);
  return out;
}

/** RFC 5952 text form (lower case, longest zero run of two or more words compressed). */
export function formatIPv6(b: Uint8Array, at = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[at + i]! << 8) | b[at + i + 1]!);
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

/** IPv4 dotted quad to the unsigned 32-bit number (BGP identifiers, ORIGINATOR_ID). */
export function ipv4ToNumber(text: string): number {
  const b = ipv4ToBytes(text);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
