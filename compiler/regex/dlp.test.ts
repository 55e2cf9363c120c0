// The AIP DLP conformance vectors check exact redaction outputs; replaying Go's Scanner.Redact (per
// pattern in order: FindAllStringIndex count, then ReplaceAllString) over our DFAs must reproduce them.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { compileRegex, findAll, replaceAll } from "./index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const VECTORS = join(here, "..", "..", "..", "shared", "aip-conformance", "full", "dlp.yaml");

interface Vector {
  id: string;
  policy: string;
  input: { content: string };
  expected: { redacted: boolean; output: string; dlp_events?: { rule: string; count: number }[] };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Go's Scanner.Redact without the encoded-segment pass. */
function redact(patterns: { name: string; regex: string }[], text: string) {
  let cur: Uint8Array = enc.encode(text);
  const events: { rule: string; count: number }[] = [];
  for (const { name, regex } of patterns) {
    const { forward, reverse } = compileRegex(regex);
    const n = findAll(forward, reverse, cur).length;
    if (n === 0) continue;
    events.push({ rule: name, count: n });
    cur = replaceAll(forward, reverse, cur, enc.encode(`[REDACTED:${name}]`))[0];
  }
  return { output: dec.decode(cur), events };
}

const present = existsSync(VECTORS);
if (!present) console.warn(`DLP vectors skipped: ${VECTORS} not found`);

describe.skipIf(!present)("AIP DLP conformance vectors (full/dlp.yaml)", () => {
  const doc = present ? (parseYaml(readFileSync(VECTORS, "utf8")) as { tests: Vector[] }) : { tests: [] };
  it("has vectors", () => expect(doc.tests.length).toBeGreaterThan(5));
  for (const v of doc.tests) {
    it(v.id, () => {
      const dlp = (parseYaml(v.policy) as { spec: { dlp: { enabled?: boolean; patterns: { name: string; regex: string }[] } } }).spec.dlp;
      const r = dlp.enabled === false ? { output: v.input.content, events: [] } : redact(dlp.patterns, v.input.content);
      expect(r.output).toBe(v.expected.output);
      expect(r.output !== v.input.content).toBe(v.expected.redacted);
      if (v.expected.dlp_events) expect(r.events).toEqual(v.expected.dlp_events);
    });
  }
});

describe("ReplaceAll like Go", () => {
  const run = (p: string, s: string, repl: string) => {
    const { forward, reverse } = compileRegex(p);
    return dec.decode(replaceAll(forward, reverse, enc.encode(s), enc.encode(repl))[0]);
  };
  it("replaces non-overlapping leftmost-first matches, empty ones only when not right after a match", () => {
    // Expected values from Go: regexp.MustCompile(p).ReplaceAllLiteralString(s, r).
    expect(run("a*", "baaac", "-")).toBe("-b-c-");
    expect(run("", "ab", "-")).toBe("-a-b-");
    expect(run("x*", "€", "-")).toBe("-€-");
    expect(run("a|ab", "abab", "[$0]")).toBe("[$0]b[$0]b");
    expect(run("\\b", "hi you", "|")).toBe("|hi| |you|");
  });
});
