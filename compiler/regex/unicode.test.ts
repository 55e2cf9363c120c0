// Unicode data against Go: simple case folding orbits and the code point sets of classes. Node's Unicode
// is newer than Go 1.26's (15.0), so the only differences allowed are code points Go calls unassigned.

import { describe, expect, it } from "vitest";
import { askGo, haveGo } from "../../test/regex/go.ts";
import { type Ranges, contains, negate, normalize } from "./charclass.ts";
import { parse } from "./index.ts";
import { foldOrbit } from "./unicode.ts";

function rangesOf(pattern: string): Ranges {
  const n = parse(pattern);
  if (n.k === "nomatch") return [];
  if (n.k !== "class") throw new Error(`${pattern} is not a class`);
  return n.r;
}

function toSet(r: Ranges): Set<number> {
  const s = new Set<number>();
  for (let i = 0; i < r.length; i += 2) for (let c = r[i]; c <= r[i + 1]; c++) s.add(c);
  return s;
}

/** Code points in exactly one of the two sets. */
function symmetricDifference(a: Ranges, b: Ranges): number[] {
  const out: number[] = [];
  const onlyIn = (x: Ranges, y: Ranges) => {
    const yn = negate(normalize(y));
    for (let i = 0; i < x.length; i += 2) {
      for (let j = 0; j < yn.length; j += 2) {
        const lo = Math.max(x[i], yn[j]);
        const hi = Math.min(x[i + 1], yn[j + 1]);
        for (let c = lo; c <= hi; c++) out.push(c);
      }
    }
  };
  onlyIn(a, b);
  onlyIn(b, a);
  return out;
}

// Code points whose general category changed after Unicode 15 (U+0295 became Ll in Unicode 16).
const RECATEGORIZED = new Set([0x295]);

const UNICODE_CLASSES = [
  "\\pL", "\\p{Lu}", "(?i)\\p{Lu}", "\\p{Ll}", "\\p{Greek}", "(?i)\\p{Greek}", "\\PL", "\\p{^Greek}", "\\P{^Greek}",
  "\\p{Nd}", "\\p{N}", "\\p{P}", "\\p{S}", "\\p{Z}", "\\p{C}", "\\p{Cn}", "\\p{Co}", "\\p{Cs}", "\\p{Assigned}",
  "\\p{Any}", "\\p{Letter}", "\\p{Uppercase_Letter}", "\\p{lu}", "\\p{LC}", "\\p{Han}", "\\p{Cyrillic}",
  "(?i)\\p{Cyrillic}", "\\p{Latin}", "\\p{Common}", "\\p{Inherited}", "\\p{Arabic}", "[\\p{Greek}\\d]", "(?i)[^\\p{Ll}]",
];
const ASCII_CLASSES = [
  "\\d", "\\D", "\\s", "\\S", "\\w", "\\W", "(?i)\\w", "(?i)\\W", "(?i)\\d", "\\p{ASCII}", "(?i)\\p{ASCII}",
  "[[:alnum:]]", "[[:alpha:]]", "[[:ascii:]]", "[[:blank:]]", "[[:cntrl:]]", "[[:digit:]]", "[[:graph:]]", "[[:lower:]]",
  "[[:print:]]", "[[:punct:]]", "[[:space:]]", "[[:upper:]]", "[[:word:]]", "[[:xdigit:]]", "[[:^alpha:]]",
  "(?i)[[:lower:]]", "(?i)[[:^upper:]]", "(?i)[a-z]", "(?i)[^a-z]", "(?i)[k-s]", "[^\\n]", ".", "(?s).", "(?i)ǅ",
  "(?i)Σ", "(?i)ß", "(?i)ı", "(?i)İ", "(?i)k", "(?i)[\\x{212A}]",
];

describe.skipIf(!haveGo())("Unicode tables agree with Go", () => {
  const goUnassigned = () => askGo([{ op: "class", p: "\\p{Cn}" }])[0].r!;

  it("simple case folding orbits are Go's, up to code points new since Unicode 15", () => {
    const f = askGo([{ op: "folds" }])[0].f!;
    const next = new Map<number, number>();
    for (let i = 0; i < f.length; i += 2) next.set(f[i], f[i + 1]);
    const unassigned = goUnassigned();
    let compared = 0;
    for (const [c] of next) {
      const orbit = [c];
      for (let x = next.get(c)!; x !== c; x = next.get(x)!) orbit.push(x);
      orbit.sort((a, b) => a - b);
      const ours = foldOrbit(c);
      compared++;
      if (ours.join() === orbit.join()) continue;
      // A difference must come from a code point Go does not know yet.
      const extra = ours.filter((x) => !orbit.includes(x));
      expect(extra.length, `orbit of U+${c.toString(16)}`).toBeGreaterThan(0);
      for (const x of extra) expect(contains(unassigned, x), `U+${x.toString(16)} in the orbit of U+${c.toString(16)}`).toBe(true);
    }
    expect(compared).toBeGreaterThan(2800);
    // And the famous orbits, exactly.
    expect(foldOrbit(0x6b)).toEqual([0x4b, 0x6b, 0x212a]);
    expect(foldOrbit(0x73)).toEqual([0x53, 0x73, 0x17f]);
    expect(foldOrbit(0x3c3)).toEqual([0x3a3, 0x3c2, 0x3c3]);
    expect(foldOrbit(0x131)).toEqual([0x131]);
  });

  it("ASCII, POSIX and Perl classes (with and without (?i)) are exactly Go's", () => {
    const answers = askGo(ASCII_CLASSES.map((p) => ({ op: "class" as const, p })));
    ASCII_CLASSES.forEach((p, i) => {
      expect(answers[i].err, p).toBeUndefined();
      expect(rangesOf(p), p).toEqual(normalize(answers[i].r ?? []));
    });
  });

  it("Unicode classes are Go's, up to code points new since Unicode 15", () => {
    const unassigned = goUnassigned();
    const answers = askGo(UNICODE_CLASSES.map((p) => ({ op: "class" as const, p })));
    UNICODE_CLASSES.forEach((p, i) => {
      expect(answers[i].err, p).toBeUndefined();
      const diff = symmetricDifference(rangesOf(p), normalize(answers[i].r!));
      // New in Unicode 16 or 17 itself, or folds to something that is (U+019B and its new capital U+A7DC).
      const isNew = (c: number) =>
        RECATEGORIZED.has(c) || contains(unassigned, c) || foldOrbit(c).some((o) => contains(unassigned, o));
      const known = diff.filter((c) => !isNew(c));
      expect(known.map((c) => c.toString(16)), p).toEqual([]);
      expect(diff.length, p).toBeLessThan(toSet(rangesOf(p)).size / 4 + 6000);
    });
  });
});
