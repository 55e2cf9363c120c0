// Piece-wise redaction (docs/dlp.md, "Cost"): the engine's output and events must be those of Go's
// Scanner.Redact replayed over the compiler's DFAs (patterns in order, FindAllIndex count, ReplaceAll), for
// texts long and short, with separators everywhere or nowhere, matches at piece edges, assertions that look
// at the bytes next to a piece, and replacements that later patterns match.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../compiler/index.ts";
import { compileRegex, findAll, replaceAll } from "../compiler/regex/index.ts";
import { newEngine } from "../hosts/kit/node.ts";
import type { DlpEvent, Engine } from "../hosts/kit/engine.ts";
import { DLP_PATTERNS } from "../bench/policy.ts";
import { rng } from "./regex/random.ts";

interface Pattern {
  name: string;
  regex: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function engineFor(patterns: Pattern[]): Engine {
  const list = patterns.map((p) => `      - name: ${JSON.stringify(p.name)}\n        regex: ${JSON.stringify(p.regex)}\n`).join("");
  const yaml = `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: dlp-pieces
spec:
  allowed_tools: [read_file]
  dlp:
    patterns:
${list}`;
  const e = newEngine();
  e.loadBundle(compilePolicy(yaml, "dlp-pieces.yaml").bytes);
  return e;
}

function model(patterns: Pattern[]): (text: Uint8Array) => { out: string; events: DlpEvent[] } {
  const compiled = patterns.map((p) => ({ name: p.name, ...compileRegex(p.regex) }));
  return (text) => {
    let cur = text;
    const events: DlpEvent[] = [];
    for (const { name, forward, reverse } of compiled) {
      const n = findAll(forward, reverse, cur).length;
      if (n === 0) continue;
      events.push({ rule: name, count: n });
      cur = replaceAll(forward, reverse, cur, enc.encode(`[REDACTED:${name}]`))[0];
    }
    return { out: dec.decode(cur), events };
  };
}

const SECRETS = [
  "AKIAIOSFODNN7EXAMPLE", "ASIA0123456789ABCDEF", "ghp_" + "a1B2".repeat(9), "api_key = 'abcdEFGH12345678xyz'",
  "secret:ABCDEFGHIJKLMNOPQRST", "-----BEGIN RSA PRIVATE KEY-----", "xoxb-1234567890-abc", "sk_live_" + "x".repeat(24),
  "eyJhbGciOiJI.eyJzdWIiOiIx.SflKxwRJSMeK", "ops@example.com", "a.b-c@d.example.org", "4111 1111 1111 1111",
  "4111-1111-1111-1111", "4111111111111111", "token=" + "Z".repeat(20), "12345678", "REDACTED", "é€😀",
];
const FILLER = [
  " ", "\n", ",", "(", ")", "|", "[", "]", ";", "{", "}", "\"", "'", ":", "=", "-", "_", ".", "@", "x", "A", "7",
  "the ", "word", "1234", "0000 ", "\t", "\r\n", "é", "\u00a0", "\xff", "#", "<", ">", "!",
];

function randomText(r: () => number, size: number): Uint8Array {
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const s = r() < 0.15 ? SECRETS[Math.floor(r() * SECRETS.length)] : FILLER[Math.floor(r() * FILLER.length)];
    parts.push(s);
    n += s.length;
  }
  const bytes = enc.encode(parts.join(""));
  // Now and then a raw invalid byte.
  if (r() < 0.3 && bytes.length > 2) bytes[Math.floor(r() * bytes.length)] = 0x80 + Math.floor(r() * 0x7f);
  return bytes;
}

const POLICIES: [string, Pattern[]][] = [
  ["the nine usual patterns", DLP_PATTERNS.map(([name, regex]) => ({ name, regex }))],
  ["assertions at piece edges", [
    { name: "word", regex: "\\b[0-9]{4}\\b" },
    { name: "line", regex: "(?m)^x+$" },
    { name: "ends", regex: "^A|7$" },
    { name: "nonword", regex: "\\B_[a-z]+" },
  ]],
  ["names that later patterns match", [
    { name: "AKIA0000000000000000", regex: "ops@[a-z.]+" },
    { name: "x", regex: "AKIA[0-9A-Z]{16}" },
    { name: "brackets", regex: "REDACTED:[a-zA-Z0-9]+" },
    { name: "email", regex: "[a-z.]+@[a-z]+\\.[a-z]{2,}" },
  ]],
  ["a pattern that matches empty (no pieces)", [
    { name: "maybe", regex: "x*" },
    { name: "AWS", regex: "AKIA[0-9A-Z]{16}" },
  ]],
  ["a pattern over every byte (one piece)", [
    { name: "any", regex: "[\\x00-\\x{10FFFF}]{30}" },
    { name: "AWS", regex: "AKIA[0-9A-Z]{16}" },
  ]],
  ["non-ASCII and invalid bytes", [
    { name: "euro", regex: "€+" },
    { name: "fffd", regex: "\\x{FFFD}[a-z]" },
    { name: "dot", regex: "x.7" },
  ]],
];

describe("piece-wise DLP redaction agrees with Go's Redact", () => {
  for (const [what, patterns] of POLICIES) {
    it(what, () => {
      const e = engineFor(patterns);
      const expect_ = model(patterns);
      const r = rng(what.length * 7919);
      for (let i = 0; i < 400; i++) {
        const size = i % 40 === 0 ? 3000 + Math.floor(r() * 6000) : Math.floor(r() * 300);
        const text = randomText(r, size);
        const want = expect_(text);
        const got = e.redactText(text);
        expect({ out: dec.decode(got.output), events: got.events }, `input ${JSON.stringify(dec.decode(text))}`).toEqual(want);
      }
    });
  }

  it("JSON strings with and without escapes of every kind: rewritten as a whole string would be", () => {
    const patterns = DLP_PATTERNS.map(([name, regex]) => ({ name, regex }));
    const e = engineFor(patterns);
    const redact = model(patterns);
    // The engine's JSON escaping of a decoded string.
    const quote = (b: Uint8Array): string => {
      const out: number[] = [0x22];
      for (const c of b) {
        if (c === 0x22) out.push(0x5c, c);
        else if (c === 0x5c) out.push(0x5c, c);
        else if (c === 0x0a) out.push(0x5c, 0x6e);
        else if (c === 0x0d) out.push(0x5c, 0x72);
        else if (c === 0x09) out.push(0x5c, 0x74);
        else if (c < 0x20) out.push(...enc.encode("\\u00" + c.toString(16).padStart(2, "0")));
        else out.push(c);
      }
      out.push(0x22);
      return dec.decode(Uint8Array.from(out));
    };
    const ESCAPES = ["\\n", "\\t", '\\"', "\\\\", "\\u0001", "\\u001f", "\\u001F", "\\/", "\\b", "\\f", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\r"];
    const r = rng(4242);
    for (let i = 0; i < 300; i++) {
      const parts: string[] = [];
      const size = i % 7 === 0 ? 9000 : 200;
      let n = 0;
      while (n < size) {
        const x = r();
        const s = x < 0.12 ? SECRETS[Math.floor(r() * SECRETS.length)] : x < 0.3 ? ESCAPES[Math.floor(r() * ESCAPES.length)] : FILLER[Math.floor(r() * FILLER.length)].replace(/["\\\x00-\x1f]/g, " ");
        parts.push(s);
        n += s.length;
      }
      // Now and then a string with only canonical escapes or none at all.
      let raw = parts.join("");
      if (i % 3 === 1) raw = raw.replace(/\\(\/|b|f|u0041|u00e9|u001F|ud83d\\ude00)/g, "\\n");
      if (i % 3 === 2) raw = raw.replace(/\\(\/|b|f|u0041|u00e9|u001F|u001f|u0001|ud83d\\ude00|n|r|t|"|\\)/g, "x");
      const decoded = enc.encode(JSON.parse(`"${raw}"`) as string);
      const red = redact(decoded);
      const message = `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"${raw}"}],"n":1}}`;
      const want = red.events.length === 0 ? message : message.replace(`"${raw}"`, () => quote(enc.encode(red.out)));
      const got = e.scan(message);
      expect(dec.decode(got.output), `raw ${raw}`).toBe(want);
      expect(got.events).toEqual(red.events);
    }
  });

  it("a 1 MiB text with secrets far apart", () => {
    const patterns = DLP_PATTERNS.map(([name, regex]) => ({ name, regex }));
    const e = engineFor(patterns);
    const line = "The quick brown fox, (jumps) over | the lazy dog; 2026-11-22 id=4711\n";
    let text = "";
    for (let i = 0; text.length < 1 << 20; i++) text += i % 300 === 7 ? `key AKIAIOSFODNN7EXAMPLE to ops@example.com ${line}` : line;
    const bytes = enc.encode(text);
    const got = e.redactText(bytes);
    const want = model(patterns)(bytes);
    expect(got.events).toEqual(want.events);
    expect(dec.decode(got.output) === want.out).toBe(true);
  });
});
