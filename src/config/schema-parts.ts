// Zod building blocks shared by schema.ts and policy-schema.ts, so both
// phrase their errors the same way ("expected …", or "required").
import { z } from "zod";
import type { Prefix } from "../bgp/codec/types";
import { parsePrefix } from "../bgp/prefix";

/** Zod error option: "required" when the key is missing, `expected` otherwise. */
export function says(expected: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? "required" : expected) };
}

export function intIn(min: number, max: number, expected = `expected an integer ${min}..${max}`) {
  return z.number(says(expected)).int(says(expected)).min(min, says(expected)).max(max, says(expected));
}

/** Parsed here so a bad prefix is reported with its key path; parsePrefix supplies the "did you mean" hint. */
export const prefixSchema = z
  .string(says("expected a CIDR prefix such as 10.244.1.0/24"))
  .transform((text, ctx): Prefix => {
    try {
      return parsePrefix(text);
    } catch (e) {
      const reason = (e as Error).message.replace(/^invalid prefix "[^"]*": /, "");
      ctx.issues.push({ code: "custom", message: `expected a CIDR prefix: ${reason}`, input: text });
      return z.NEVER;
    }
  });
