// Unicode data for the parser: simple case folding orbits, general categories and scripts, and the ASCII
// Perl and POSIX classes. Code point sets are computed from this Node's Unicode support (String case mapping
// and RegExp \p{...}) the first time they are needed, then cached.

import { MAX_RUNE, negate, normalize, type Ranges } from "./charclass.ts";

// ---- Case folding ---------------------------------------------------------------------------------------

// Code points with case mappings all lie below this bound (the last cased script, Adlam, ends at U+1E943).
const CASED_LIMIT = 0x20000;

// Go's simple folding leaves these alone: their case mappings are Turkic special cases, not simple folds.
const NOT_FOLDED = new Set([0x130, 0x131]);

let orbitOf: Map<number, number[]> | undefined;
let foldable: number[] = []; // sorted code points that have an orbit

/** The equivalence classes of simple case folding, as Go's unicode.SimpleFold walks them. */
function orbits(): Map<number, number[]> {
  if (orbitOf) return orbitOf;
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const join = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (!parent.has(ra)) parent.set(ra, ra);
    if (!parent.has(rb)) parent.set(rb, rb);
    if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb));
  };
  const single = (s: string): number => {
    const c = s.codePointAt(0);
    return c !== undefined && s.length === (c > 0xffff ? 2 : 1) ? c : -1;
  };
  for (let c = 0; c < CASED_LIMIT; c++) {
    if ((c >= 0xd800 && c <= 0xdfff) || NOT_FOLDED.has(c)) continue;
    const s = String.fromCodePoint(c);
    const lo = single(s.toLowerCase());
    const up = single(s.toUpperCase());
    if (lo >= 0 && lo !== c && !NOT_FOLDED.has(lo)) join(c, lo);
    if (up >= 0 && up !== c && !NOT_FOLDED.has(up)) join(c, up);
  }
  const groups = new Map<number, number[]>();
  for (const c of parent.keys()) {
    const r = find(c);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(c);
  }
  orbitOf = new Map();
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    g.sort((a, b) => a - b);
    for (const c of g) orbitOf.set(c, g);
  }
  foldable = [...orbitOf.keys()].sort((a, b) => a - b);
  return orbitOf;
}

/** All code points equal to c under simple case folding, c included. */
export function foldOrbit(c: number): number[] {
  return orbits().get(c) ?? [c];
}

/** The set closed under simple case folding (Go's appendFoldedClass). */
export function foldClosure(r: Ranges): Ranges {
  const orb = orbits();
  const extra: Ranges = [];
  for (let i = 0; i < r.length; i += 2) {
    // Binary search the first foldable code point >= r[i].
    let a = 0;
    let b = foldable.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (foldable[m] < r[i]) a = m + 1;
      else b = m;
    }
    for (let k = a; k < foldable.length && foldable[k] <= r[i + 1]; k++) {
      for (const o of orb.get(foldable[k])!) extra.push(o, o);
    }
  }
  return extra.length ? normalize(r.concat(extra)) : r;
}

// ---- Unicode classes (\p{...}) ---------------------------------------------------------------------------

// General categories Go knows, by short name, plus the long aliases Go accepts (compared canonically).
const CATEGORIES = [
  "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "LC", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
  "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
  "Z", "Zl", "Zp", "Zs",
];
const CATEGORY_ALIASES: Record<string, string> = {
  Cased_Letter: "LC", Close_Punctuation: "Pe", Combining_Mark: "M", Connector_Punctuation: "Pc",
  Control: "Cc", Currency_Symbol: "Sc", Dash_Punctuation: "Pd", Decimal_Number: "Nd", Enclosing_Mark: "Me",
  Final_Punctuation: "Pf", Format: "Cf", Initial_Punctuation: "Pi", Letter: "L", Letter_Number: "Nl",
  Line_Separator: "Zl", Lowercase_Letter: "Ll", Mark: "M", Math_Symbol: "Sm", Modifier_Letter: "Lm",
  Modifier_Symbol: "Sk", Nonspacing_Mark: "Mn", Number: "N", Open_Punctuation: "Ps", Other: "C",
  Other_Letter: "Lo", Other_Number: "No", Other_Punctuation: "Po", Other_Symbol: "So",
  Paragraph_Separator: "Zp", Private_Use: "Co", Punctuation: "P", Separator: "Z", Space_Separator: "Zs",
  Spacing_Mark: "Mc", Surrogate: "Cs", Symbol: "S", Titlecase_Letter: "Lt", Unassigned: "Cn",
  Uppercase_Letter: "Lu", cntrl: "Cc", digit: "Nd", punct: "P",
};

// Scripts reachable by name in Go 1.26 (Unicode 15.0): Go canonicalizes the name (see canonicalName), so
// only one-word script names can be found; Old_Italic and friends are not reachable there, nor here.
const SCRIPTS = (
  "Adlam Ahom Arabic Armenian Avestan Balinese Bamum Batak Bengali Bhaiksuki Bopomofo Brahmi Braille " +
  "Buginese Buhid Carian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cyrillic " +
  "Deseret Devanagari Dogra Duployan Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha " +
  "Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran Hebrew Hiragana Inherited Javanese Kaithi " +
  "Kannada Katakana Kawi Kharoshthi Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Lisu Lycian Lydian " +
  "Mahajani Makasar Malayalam Mandaic Manichaean Marchen Medefaidrin Miao Modi Mongolian Mro Multani " +
  "Myanmar Nabataean Nandinagari Newa Nko Nushu Ogham Oriya Osage Osmanya Palmyrene Phoenician Rejang " +
  "Runic Samaritan Saurashtra Sharada Shavian Siddham Sinhala Sogdian Soyombo Sundanese Syriac " +
  "Tagalog Tagbanwa Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto " +
  "Ugaritic Vai Vithkuqi Wancho Yezidi Yi"
).split(" ");

/** Go's canonical lookup form: first letter upper case, the rest lower case, no '_', '-' or ' '. */
export function canonicalName(name: string): string {
  let out = "";
  let first = true;
  for (const ch of name) {
    if (ch === "_" || ch === "-" || ch === " ") continue;
    if (first) {
      out += ch >= "a" && ch <= "z" ? ch.toUpperCase() : ch;
      first = false;
    } else out += ch >= "A" && ch <= "Z" ? ch.toLowerCase() : ch;
  }
  return out;
}

let lookup: Map<string, string> | undefined; // canonical name -> RegExp property expression or special
const tableCache = new Map<string, Ranges>();

function names(): Map<string, string> {
  if (lookup) return lookup;
  lookup = new Map();
  for (const s of SCRIPTS) lookup.set(canonicalName(s), `Script=${s}`);
  for (const [alias, gc] of Object.entries(CATEGORY_ALIASES)) lookup.set(canonicalName(alias), `gc=${gc}`);
  // Exact category keys win over everything (they are already canonical, LC aside).
  for (const gc of CATEGORIES) lookup.set(gc === "LC" ? "Lc" : gc, `gc=${gc}`);
  lookup.set("Any", "Any");
  lookup.set("Ascii", "ASCII");
  lookup.set("Assigned", "Assigned");
  return lookup;
}

// All code points except surrogates, as one string: \p{...} runs over it give the ranges fast.
let allText: string | undefined;

function indexToCodePoint(i: number): number {
  if (i < 0xd800) return i;
  if (i < 0xf800) return i + 0x800;
  return 0x10000 + ((i - 0xf800) >> 1);
}

function propertyRanges(prop: string): Ranges {
  if (prop === "gc=Cs") return [0xd800, 0xdfff];
  if (!allText) {
    const parts: string[] = [];
    for (let c = 0; c <= MAX_RUNE; c += 0x1000) {
      const cps: number[] = [];
      for (let d = c; d < c + 0x1000; d++) if (d < 0xd800 || d > 0xdfff) cps.push(d);
      parts.push(String.fromCodePoint(...cps));
    }
    allText = parts.join("");
  }
  const re = new RegExp(`\\p{${prop}}+`, "gu");
  const out: Ranges = [];
  for (const m of allText.matchAll(re)) {
    const lo = indexToCodePoint(m.index!);
    const hi = indexToCodePoint(m.index! + m[0].length - 1);
    out.push(lo, hi);
  }
  // Surrogates are general category Cs, hence also in C and in "Any"/"Assigned".
  if (prop === "gc=C" || prop === "Any" || prop === "Assigned") out.push(0xd800, 0xdfff);
  return normalize(out);
}

/**
 * The code points of \p{name} (Go's rules for names), or undefined if Go does not know the name.
 * Folding, if asked, happens before a negation, as in Go.
 */
export function unicodeClass(name: string, fold: boolean): Ranges | undefined {
  const prop = names().get(canonicalName(name));
  if (!prop) return undefined;
  const key = `${prop}/${fold}`;
  let r = tableCache.get(key);
  if (!r) {
    r = propertyRanges(prop);
    if (fold) r = foldClosure(r);
    tableCache.set(key, r);
  }
  return r;
}

// ---- ASCII classes -------------------------------------------------------------------------------------

const PERL: Record<string, Ranges> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

const POSIX: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

/** A Perl class escape letter (d D s S w W) as a set, folded before negation like Go. */
export function perlClass(letter: string, fold: boolean): Ranges | undefined {
  const base = PERL[letter.toLowerCase()];
  if (!base) return undefined;
  const r = fold ? foldClosure(base) : base;
  return letter === letter.toUpperCase() ? negate(r) : r;
}

/** A POSIX class name as written between "[:" and ":]" (maybe with a leading '^'). */
export function posixClass(name: string, fold: boolean): Ranges | undefined {
  const neg = name.startsWith("^");
  const base = Object.hasOwn(POSIX, neg ? name.slice(1) : name) ? POSIX[neg ? name.slice(1) : name] : undefined;
  if (!base) return undefined;
  const r = fold ? foldClosure(base) : base;
  return neg ? negate(r) : r;
}
