// Loads the byte-vector fixture files. Records are
// {name, description, caps, hex, expect, problems?, canonicalHex?}; the
// loader refuses an empty or malformed set so a moved directory cannot turn
// the suite into a silent no-op.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_CAPS, FOUR_OCTET_CAPS, type SessionCaps } from "../../../../src/bgp/codec";
import type { Plain } from "./plain";

export interface Fixture {
  file: string;
  name: string;
  description: string;
  caps: SessionCaps;
  hex: string;
  expect: Plain;
  problems: Plain[];
  /** Our canonical re-encoding, when the sender's attribute order or length form differs. */
  canonicalHex?: string;
}

// Tests run from dist/test/unit/bgp/codec; fixtures stay in the source tree.
export const FIXTURE_DIR = resolve(__dirname, "../../../../../test/unit/bgp/codec/fixtures");

export function loadFixtures(dir = FIXTURE_DIR): Fixture[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  const out: Fixture[] = [];
  for (const file of files) {
    const records: unknown = JSON.parse(readFileSync(join(dir, file), "utf8"));
    if (!Array.isArray(records)) throw new Error(`${file}: expected an array of fixtures`);
    for (const r of records as Record<string, unknown>[]) {
      for (const key of ["name", "description", "caps", "hex"]) {
        if (typeof r[key] !== "string") throw new Error(`${file}: fixture without a string "${key}"`);
      }
      if (r.expect === undefined) throw new Error(`${file}: fixture ${String(r.name)} has no expect`);
      const capsName = r.caps as string;
      if (capsName !== "2-octet" && capsName !== "4-octet")
        throw new Error(`${file}: unknown caps ${capsName}`);
      const f: Fixture = {
        file,
        name: r.name as string,
        description: r.description as string,
        caps: capsName === "2-octet" ? DEFAULT_CAPS : FOUR_OCTET_CAPS,
        hex: r.hex as string,
        expect: r.expect as Plain,
        problems: (r.problems as Plain[] | undefined) ?? [],
      };
      if (typeof r.canonicalHex === "string") f.canonicalHex = r.canonicalHex;
      out.push(f);
    }
  }
  if (out.length === 0) throw new Error(`no fixtures found in ${dir}`);
  return out;
}
