// Limits: DFA states, construction work, repeat counts; and the any-of DFA.

import { describe, expect, it } from "vitest";
import { DLP_PATTERNS } from "../../test/regex/corpus.ts";
import { DEFAULT_MAX_ANYOF_STATES, RegexError, compileAnyOf, compileRegex, isMatch } from "./index.ts";

function error(f: () => unknown): RegexError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RegexError);
    return e as RegexError;
  }
  throw new Error("no error");
}

const states = (blob: Uint8Array) => new DataView(blob.buffer, blob.byteOffset).getUint32(12, true);

describe("limits", () => {
  it("a pattern whose DFA is exponential fails with a helpful message", () => {
    const e = error(() => compileRegex("(a|b)*a(a|b){20}"));
    expect(e.message).toBe("pattern too large: its DFA needs more than 4096 states");
    expect(e.offset).toBe(0);
    expect(e.hint).toMatch(/narrow a `\.\*`/);
    expect(e.hint).toMatch(/counted repetition/);
  });

  it("the state limit is configurable", () => {
    expect(() => compileRegex("(a|b)*a(a|b){11}")).toThrow(/more than 4096 states/);
    expect(compileRegex("(a|b)*a(a|b){11}", { maxStates: 20000 }).states).toBeGreaterThan(4096);
    expect(() => compileRegex("ghp_[A-Za-z0-9]{36}", { maxStates: 20 })).toThrow(/more than 20 states/);
    expect(compileRegex("ghp_[A-Za-z0-9]{36}", { maxStates: 200 }).states).toBeLessThanOrEqual(200);
  });

  it("a pattern with too many overlapping partial matches fails quickly", () => {
    const t0 = performance.now();
    const e = error(() => compileRegex("[a-z]{1,1000}x"));
    expect(e.message).toMatch(/^pattern too large/);
    expect(e.hint).toMatch(/counted repetition/);
    expect(performance.now() - t0).toBeLessThan(20000);
  });

  it("repeat counts above 1000 are an error, as in Go", () => {
    expect(error(() => compileRegex("a{1001}")).message).toBe("invalid repeat count: `{1001}`");
    expect(error(() => compileRegex("(?:a{40}){30}")).message).toBe("invalid repeat count: `{30}`");
    expect(compileRegex("a{1000}").states).toBeGreaterThan(1000);
  });

  it("the any-of DFA of the nine DLP patterns fits the default any-of limit", () => {
    const any = compileAnyOf(DLP_PATTERNS);
    expect(states(any)).toBeGreaterThan(1000);
    expect(states(any)).toBeLessThanOrEqual(DEFAULT_MAX_ANYOF_STATES);
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(isMatch(any, enc("nothing here"))).toBe(false);
    expect(isMatch(any, enc("x AKIAIOSFODNN7EXAMPLE y"))).toBe(true);
    expect(isMatch(any, enc("mail me: a.b@example.org"))).toBe(true);
  });

  it("an any-of DFA over the limit throws, so callers can fall back to per-pattern DFAs", () => {
    const e = error(() => compileAnyOf(DLP_PATTERNS, { maxStates: 1000 }));
    expect(e.message).toBe("pattern too large: its DFA needs more than 1000 states");
  });

  it("an invalid pattern in an any-of set is named by its position", () => {
    expect(error(() => compileAnyOf(["a", "(?=b)"])).message).toBe("pattern 2: invalid or unsupported Perl syntax: `(?=`");
  });

  it("an empty any-of set never matches", () => {
    expect(isMatch(compileAnyOf([]), new TextEncoder().encode("anything"))).toBe(false);
  });
});
