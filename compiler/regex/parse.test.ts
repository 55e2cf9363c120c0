// Parser: every supported construct is accepted; every rejected one fails with Go's message, the offset
// of the construct and a hint.

import { describe, expect, it } from "vitest";
import { askGo, haveGo } from "../../test/regex/go.ts";
import { Assert, type Node } from "./ast.ts";
import { RegexError, compileRegex, parse } from "./index.ts";

const SUPPORTED = [
  // literals and escapes
  "abc", "é東😀", "\\n\\t\\r\\f\\v\\a", "\\x7F", "\\x{10FFFF}", "\\x{41}", "\\123", "\\0", "\\07", "\\Q*+?\\E", "\\Qab",
  "\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/\\-\\_\\#\\ ", "a{", "a{,3}", "{", "x{1,2", "]", "}",
  // dot, classes
  ".", "[abc]", "[a-z0-9_]", "[^a-z]", "[]a]", "[^]a]", "[a-]", "[-a]", "[a-b-c]", "[\\n\\x{41}-\\x{5A}\\]]",
  "[[:alpha:]]", "[[:^alpha:]]", "[[:word:][:digit:]]", "[\\d\\s\\w]", "[\\D]", "[\\p{Greek}\\PL]", "[[:foo]", "[a[]",
  "\\d\\D\\s\\S\\w\\W", "\\pL", "\\PL", "\\p{L}", "\\p{Lu}", "\\p{Greek}", "\\p{greek}", "\\P{Greek}", "\\p{^Greek}",
  "\\P{^Greek}", "\\p{Any}", "\\p{Letter}", "\\p{Uppercase_Letter}", "\\p{ASCII}", "\\p{Assigned}", "\\p{LC}", "\\p{Cn}",
  // anchors and boundaries
  "^a$", "\\Aa\\z", "(?m)^a$", "\\bword\\b", "\\Ba\\B",
  // groups and flags
  "(a)", "(?:a)", "(?P<name>a)", "(?<name>a)", "(?P<n>a)(?P<n>b)", "(?i)a", "(?m)^", "(?s).", "(?U)a*", "(?i:a)b",
  "(?i-m:a)", "(?-i)a", "(?ims)a", "(?im-sU:a)", "(?)", "a(?i)", "()", "(|)", "a||b", "|", "",
  // repetition
  "a*", "a+", "a?", "a{2}", "a{2,}", "a{2,5}", "a{0}", "a{0,0}", "a*?", "a+?", "a??", "a{2}?", "a{2,}?", "a{2,5}?",
  "a{1000}", "(a{10}){100}", "(?:a*)*", "(a*)+", "^*", "\\b+", "$?", "a(?i)*", "a{01}",
];

/** [pattern, message, offset, hint pattern] */
const REJECTED: [string, string, number, RegExp][] = [
  ["(?=a)", "invalid or unsupported Perl syntax: `(?=`", 0, /lookaround/],
  ["x(?!a)", "invalid or unsupported Perl syntax: `(?!`", 1, /lookaround/],
  ["(?<=a)b", "invalid or unsupported Perl syntax: `(?<=`", 0, /lookaround/],
  ["ab(?<!a)", "invalid or unsupported Perl syntax: `(?<!`", 2, /lookaround/],
  ["^(?!.*\\.\\.).*$", "invalid or unsupported Perl syntax: `(?!`", 1, /lookaround/],
  ["(a)\\1", "invalid escape sequence: `\\1`", 3, /backreference/],
  ["(?P<n>a)\\k<n>", "invalid escape sequence: `\\k`", 8, /backreference/],
  ["(?P<n>a)(?P=n)", "invalid or unsupported Perl syntax: `(?P`", 8, /backreference/],
  ["(?>a)", "invalid or unsupported Perl syntax: `(?>`", 0, /atomic/],
  ["a*+", "invalid nested repetition operator: `*+`", 1, /possessive/],
  ["a++", "invalid nested repetition operator: `++`", 1, /possessive/],
  ["a{2}+", "invalid nested repetition operator: `{2}+`", 1, /possessive/],
  ["a**", "invalid nested repetition operator: `**`", 1, /group the first/],
  ["a*??", "invalid nested repetition operator: `*??`", 1, /group the first/],
  ["x{2}{3}", "invalid nested repetition operator: `{2}{3}`", 1, /group the first/],
  ["a\\Z", "invalid escape sequence: `\\Z`", 1, /\\z/],
  ["\\Ga", "invalid escape sequence: `\\G`", 0, /\\G/],
  ["\\C", "invalid escape sequence: `\\C`", 0, /any byte/],
  ["(?(1)a|b)", "invalid or unsupported Perl syntax: `(?(`", 0, /conditional/],
  ["a(?#comment)", "invalid or unsupported Perl syntax: `(?#`", 1, /comment/],
  ["\\y", "invalid escape sequence: `\\y`", 0, /unknown escape/],
  ["\\é", "invalid escape sequence: `\\é`", 0, /unknown escape/],
  ["\\8", "invalid escape sequence: `\\8`", 0, /backreference/],
  ["\\x", "invalid escape sequence: `\\x`", 0, /unknown escape/],
  ["\\xg1", "invalid escape sequence: `\\xg1`", 0, /unknown escape/],
  ["\\x{110000}", "invalid escape sequence: `\\x{110000`", 0, /unknown escape/],
  ["\\x{}", "invalid escape sequence: `\\x{}`", 0, /unknown escape/],
  ["ab\\", "trailing backslash at end of expression: ``", 2, /escape it as `\\\\`/],
  ["(ab", "missing closing ): `(ab`", 0, /\)/],
  ["a(b(c)", "missing closing ): `a(b(c)`", 1, /\)/],
  ["ab)", "unexpected ): `ab)`", 2, /.*/],
  ["[ab", "missing closing ]: `[ab`", 0, /\]/],
  ["x[]", "missing closing ]: `[]`", 1, /\]/],
  ["[z-a]", "invalid character class range: `z-a`", 1, /low to high/],
  ["[[:foo:]]", "invalid character class range: `[:foo:]`", 1, /POSIX/],
  ["\\p{Foo}", "invalid character class range: `\\p{Foo}`", 0, /Unicode class/],
  ["\\p{Old_Italic}", "invalid character class range: `\\p{Old_Italic}`", 0, /one-word script/],
  ["\\pX", "invalid character class range: `\\pX`", 0, /Unicode class/],
  ["\\p{Greek", "invalid character class range: `\\p{Greek`", 0, /.*/],
  ["*a", "missing argument to repetition operator: `*`", 0, /nothing before/],
  ["(+)", "missing argument to repetition operator: `+`", 1, /nothing before/],
  ["a|?", "missing argument to repetition operator: `?`", 2, /nothing before/],
  ["{2}", "missing argument to repetition operator: `{2}`", 0, /nothing before/],
  ["a{1001}", "invalid repeat count: `{1001}`", 1, /1000/],
  ["a{2,1}", "invalid repeat count: `{2,1}`", 1, /1000/],
  ["a{0,99999999999}", "invalid repeat count: `{0,99999999999}`", 1, /1000/],
  ["(a{100}){11}", "invalid repeat count: `{11}`", 8, /product/],
  ["(?i", "invalid or unsupported Perl syntax: `(?i`", 0, /.*/],
  ["(?i-)", "invalid or unsupported Perl syntax: `(?i-)`", 0, /.*/],
  ["(?z)", "invalid or unsupported Perl syntax: `(?z`", 0, /.*/],
  ["(?P<>a)", "invalid named capture: `(?P<>`", 0, /letters/],
  ["(?<a-b>x)", "invalid named capture: `(?<a-b>`", 0, /letters/],
  ["(?P<name", "invalid named capture: `(?P<name`", 0, /.*/],
];

describe("parser", () => {
  it("accepts every supported construct", () => {
    for (const p of SUPPORTED) expect(() => compileRegex(p), p).not.toThrow();
  });

  it("rejects unsupported constructs with Go's message, the offset and a hint", () => {
    for (const [p, message, offset, hint] of REJECTED) {
      let err: unknown;
      try {
        parse(p);
      } catch (e) {
        err = e;
      }
      expect(err, p).toBeInstanceOf(RegexError);
      const e = err as RegexError;
      expect(e.message, p).toBe(message);
      expect(e.offset, p).toBe(offset);
      expect(e.hint ?? "", p).toMatch(hint);
    }
  });

  it("parses to the expected trees", () => {
    const cls = (...r: number[]): Node => ({ k: "class", r });
    expect(parse("a")).toEqual(cls(0x61, 0x61));
    expect(parse("(?i)k")).toEqual(cls(0x4b, 0x4b, 0x6b, 0x6b, 0x212a, 0x212a));
    expect(parse("(?i)[^k]")).toEqual(cls(0, 0x4a, 0x4c, 0x6a, 0x6c, 0x2129, 0x212b, 0x10ffff));
    expect(parse(".")).toEqual(cls(0, 9, 11, 0x10ffff));
    expect(parse("(?s).")).toEqual(cls(0, 0x10ffff));
    expect(parse("[^\\x00-\\x{10FFFF}]")).toEqual({ k: "nomatch" });
    expect(parse("^$")).toEqual({ k: "cat", subs: [{ k: "assert", a: Assert.BeginText }, { k: "assert", a: Assert.EndText }] });
    expect(parse("(?m)^$")).toEqual({ k: "cat", subs: [{ k: "assert", a: Assert.BeginLine }, { k: "assert", a: Assert.EndLine }] });
    expect(parse("a{2,3}?")).toEqual({ k: "repeat", min: 2, max: 3, greedy: false, sub: cls(0x61, 0x61) });
    expect(parse("(?U)a*")).toEqual({ k: "repeat", min: 0, max: -1, greedy: false, sub: cls(0x61, 0x61) });
    // Go quirks: a repeat after \Q..\E applies to the last character, and after a flag group to the atom before it.
    expect(parse("\\Qab\\E*")).toEqual({ k: "cat", subs: [cls(0x61, 0x61), { k: "repeat", min: 0, max: -1, greedy: true, sub: cls(0x62, 0x62) }] });
    expect(parse("a(?i)*")).toEqual({ k: "repeat", min: 0, max: -1, greedy: true, sub: cls(0x61, 0x61) });
    expect(parse("a{,2}")).toEqual({ k: "cat", subs: [cls(0x61, 0x61), cls(0x7b, 0x7b), cls(0x2c, 0x2c), cls(0x32, 0x32), cls(0x7d, 0x7d)] });
  });

  it("honours a lower repeat limit", () => {
    expect(() => compileRegex("a{50}", { maxRepeat: 20 })).toThrow(/invalid repeat count: `\{50\}`/);
    expect(() => compileRegex("a{20}", { maxRepeat: 20 })).not.toThrow();
  });

  it("rejects a lone surrogate (not UTF-8)", () => {
    expect(() => parse("a\ud800")).toThrow(/invalid UTF-8/);
  });
});

describe.skipIf(!haveGo())("parser agrees with Go", () => {
  it("Go accepts every supported construct", () => {
    const answers = askGo(SUPPORTED.map((p) => ({ p, s: new Uint8Array() })));
    SUPPORTED.forEach((p, i) => expect(answers[i].err, p).toBeUndefined());
  });

  it("Go rejects every rejected construct, with the same message except for lookbehind", () => {
    const answers = askGo(REJECTED.map(([p]) => ({ p, s: new Uint8Array() })));
    REJECTED.forEach(([p, message], i) => {
      expect(answers[i].err, p).toBeDefined();
      // Go calls (?<= an invalid named capture; we name the construct.
      if (!p.includes("(?<=") && !p.includes("(?<!")) expect(answers[i].err, p).toBe(message);
    });
  });
});
