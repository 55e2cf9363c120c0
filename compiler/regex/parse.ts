// Parser for Go's regexp/syntax (RE2) with Perl flags, the syntax of AIP allow_args and DLP patterns.
// It accepts what Go accepts, rejects what Go rejects with Go's message, and adds the offset of the
// construct and a hint. Constructs no DFA can run (lookaround, backreferences, ...) are rejected here.

import { Assert, EMPTY, type Node } from "./ast.ts";
import { MAX_RUNE, negate, normalize, type Ranges } from "./charclass.ts";
import { RegexError } from "./errors.ts";
import { foldClosure, foldOrbit, perlClass, posixClass, unicodeClass } from "./unicode.ts";

/** Go's limit on a repeat count, and on the product of nested counts. */
export const MAX_REPEAT = 1000;
/** Go's limit on the height of the parse tree; we count group nesting. */
const MAX_DEPTH = 1000;

interface Flags {
  i: boolean; // case folding
  m: boolean; // ^ and $ match at line breaks
  s: boolean; // . matches \n
  U: boolean; // greedy and lazy swapped
}

const HINT_LOOKAROUND =
  "lookaround is not supported: patterns compile to DFAs that run in linear time and cannot look around; " +
  "match the text itself (for example `^[^.]*$` instead of `^(?!.*\\.)`), or use two rules";
const HINT_BACKREF = "backreferences are not supported: a DFA cannot remember earlier text";
const HINT_POSSESSIVE = "possessive quantifiers are not supported; use a plain greedy one (`a*`)";

const GROUP_HINTS: Record<string, string> = {
  "(?=": HINT_LOOKAROUND,
  "(?!": HINT_LOOKAROUND,
  "(?>": "atomic groups are not supported; a DFA never backtracks, so use a plain group `(?:...)`",
  "(?#": "inline comments are not supported; remove the comment",
  "(?(": "conditionals are not supported",
  "(?P": "named backreferences and recursion are not supported; named groups are written `(?P<name>...)`",
  "(?'": "write named groups as `(?P<name>...)` or `(?<name>...)`",
  "(?|": "branch reset groups are not supported",
  "(?R": "recursion is not supported",
  "(?&": "recursion is not supported",
  "(?C": "callouts are not supported",
};

const ESCAPE_HINTS: Record<string, string> = {
  "\\Z": "\\Z is not supported; use \\z for the end of the text (or \\n?\\z)",
  "\\G": "\\G is not supported; patterns are matched anywhere in the text",
  "\\C": "\\C (any byte) is not supported; use `.` or (?s:.)",
  "\\k": HINT_BACKREF,
  "\\g": HINT_BACKREF,
  "\\K": "\\K is not supported",
};

function escapeHint(expr: string): string {
  if (/^\\[1-9]/.test(expr)) return HINT_BACKREF;
  return (
    ESCAPE_HINTS[expr.slice(0, 2)] ??
    "unknown escape: escape only punctuation, or write the character as \\x{...}"
  );
}

// {n}, {n,} or {n,m} without leading zeros; anything else after '{' makes the '{' a literal.
const REPEAT = /\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}/y;

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function unhex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

class Parser {
  private pos = 0;
  private flags: Flags = { i: false, m: false, s: false, U: false };
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly maxRepeat: number,
  ) {}

  fail(code: string, expr: string, offset: number, hint?: string): never {
    throw new RegexError(`${code}: \`${expr}\``, offset, hint);
  }

  // ---- characters ----

  private peek(at = this.pos): number {
    if (at >= this.src.length) return -1;
    const c = this.src.codePointAt(at)!;
    if (c >= 0xd800 && c <= 0xdfff) this.fail("invalid UTF-8", this.src.slice(at), at);
    return c;
  }

  private width(c: number): number {
    return c > 0xffff ? 2 : 1;
  }

  /** Consumes and returns one code point. */
  private next(): number {
    const c = this.peek();
    this.pos += this.width(c);
    return c;
  }

  private lookingAt(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  // ---- structure ----

  parse(): Node {
    const n = this.parseAlt();
    if (this.pos < this.src.length) {
      // Only a ')' stops parseAlt early at the top level.
      this.fail("unexpected )", this.src, this.pos);
    }
    return n;
  }

  private parseAlt(): Node {
    const alts: Node[] = [this.parseConcat()];
    while (this.peek() === 0x7c /* | */) {
      this.pos++;
      alts.push(this.parseConcat());
    }
    return alts.length === 1 ? alts[0] : { k: "alt", subs: alts };
  }

  private parseConcat(): Node {
    const items: Node[] = [];
    let lastRepeat = -1; // offset of the previous repeat operator, if the last thing parsed was one
    for (;;) {
      const c = this.peek();
      if (c === -1 || c === 0x7c || c === 0x29 /* ) */) break;
      const start = this.pos;
      if (c === 0x2a || c === 0x2b || c === 0x3f || (c === 0x7b && this.repeatAhead())) {
        this.parseRepeat(items, lastRepeat);
        lastRepeat = start;
        continue;
      }
      lastRepeat = -1;
      if (c === 0x28 /* ( */) {
        const n = this.parseGroup();
        if (n) items.push(n);
        continue;
      }
      if (c === 0x5c && this.peek(this.pos + 1) === 0x51 /* \Q */) {
        // \Q...\E: each character up to \E (or the end) is its own literal item, as in Go,
        // so a repeat after \Qab\E applies to the b only.
        const end = this.src.indexOf("\\E", start + 2);
        const lit = this.src.slice(start + 2, end < 0 ? this.src.length : end);
        this.pos = start + 2;
        while (this.pos < start + 2 + lit.length) items.push(this.literal(this.next()));
        this.pos = end < 0 ? this.src.length : end + 2;
        continue;
      }
      items.push(this.parseAtom());
    }
    if (items.length === 0) return EMPTY;
    if (items.length === 1) return items[0];
    return { k: "cat", subs: items };
  }

  /** Whether a '{' here starts a well-formed {n}, {n,} or {n,m}; otherwise it is a literal. */
  private repeatAhead(): boolean {
    REPEAT.lastIndex = this.pos;
    return REPEAT.test(this.src);
  }

  private parseRepeat(items: Node[], lastRepeat: number): void {
    const start = this.pos;
    const c = this.next();
    let min: number;
    let max: number;
    if (c === 0x2a) [min, max] = [0, -1];
    else if (c === 0x2b) [min, max] = [1, -1];
    else if (c === 0x3f) [min, max] = [0, 1];
    else {
      REPEAT.lastIndex = start;
      const m = REPEAT.exec(this.src)!;
      this.pos = start + m[0].length;
      // Like Go, a number of 9 digits or more is "too big" (-1), which then fails the count check.
      const num = (s: string) => (s.length > 8 ? -1 : Number(s));
      min = num(m[1]);
      max = m[2] === undefined ? min : m[3] === undefined ? -1 : num(m[3]);
      if (m[3] !== undefined && max < 0) min = -1;
      if (min < 0 || min > this.maxRepeat || max > this.maxRepeat || (max >= 0 && min > max)) {
        this.fail("invalid repeat count", m[0], start, `repeat counts are limited to ${this.maxRepeat}`);
      }
    }
    let greedy = !this.flags.U;
    if (this.peek() === 0x3f) {
      this.pos++;
      greedy = !greedy;
    }
    const expr = this.src.slice(start, this.pos);
    if (lastRepeat >= 0) {
      const both = this.src.slice(lastRepeat, this.pos);
      this.fail(
        "invalid nested repetition operator",
        both,
        lastRepeat,
        c === 0x2b ? HINT_POSSESSIVE : "a repeat cannot directly follow another; group the first one: `(?:a*)*`",
      );
    }
    if (items.length === 0) {
      this.fail("missing argument to repetition operator", expr, start, "there is nothing before it to repeat; escape it to match it literally");
    }
    const node: Node = { k: "repeat", min, max, greedy, sub: items[items.length - 1] };
    if (c === 0x7b && (min >= 2 || max >= 2) && !repeatIsValid(node, this.maxRepeat)) {
      this.fail("invalid repeat count", expr, start, `nested repeat counts multiply; their product is limited to ${this.maxRepeat}`);
    }
    items[items.length - 1] = node;
  }

  /** Parses "(" ... ")" and the (?...) forms. Returns undefined for a bare flag setting like (?i). */
  private parseGroup(): Node | undefined {
    const start = this.pos;
    this.pos++; // (
    let capture = true;
    const saved = { ...this.flags };
    if (this.peek() === 0x3f /* ? */) {
      const rest = this.src.slice(start);
      if (rest.startsWith("(?<=") || rest.startsWith("(?<!")) {
        this.fail("invalid or unsupported Perl syntax", rest.slice(0, 4), start, HINT_LOOKAROUND);
      }
      const named = rest.startsWith("(?P<") ? 4 : rest.startsWith("(?<") ? 3 : 0;
      if (named && rest.length > named) {
        const end = rest.indexOf(">");
        if (end < 0) this.fail("invalid named capture", rest, start);
        const name = rest.slice(named, end);
        if (!/^[A-Za-z0-9_]+$/.test(name)) {
          this.fail("invalid named capture", rest.slice(0, end + 1), start, "group names are made of letters, digits and _");
        }
        this.pos = start + end + 1;
      } else {
        // Flags, then ')' (a flag setting) or ':' (a non-capturing group).
        this.pos++; // ?
        const f = { ...this.flags };
        let neg = false;
        let sawFlag = false;
        let done = false;
        while (this.pos < this.src.length) {
          const c = this.next();
          if (c === 0x69 || c === 0x6d || c === 0x73 || c === 0x55) {
            const key = String.fromCharCode(c) as keyof Flags;
            f[key] = !neg;
            sawFlag = true;
            continue;
          }
          if (c === 0x2d /* - */ && !neg) {
            neg = true;
            sawFlag = false;
            continue;
          }
          if ((c === 0x3a || c === 0x29) && !(neg && !sawFlag)) {
            this.flags = f;
            if (c === 0x29) return undefined; // (?flags): applies to the rest of the enclosing group
            capture = false;
            done = true;
          }
          break;
        }
        if (!done) {
          const expr = this.src.slice(start, this.pos);
          this.fail("invalid or unsupported Perl syntax", expr, start, GROUP_HINTS[expr.slice(0, 3)]);
        }
      }
    }
    if (++this.depth > MAX_DEPTH) this.fail("expression nests too deeply", this.src, start);
    const sub = this.parseAlt();
    if (this.peek() !== 0x29) this.fail("missing closing )", this.src, start, "add the missing `)` or escape the `(`");
    this.pos++;
    this.depth--;
    this.flags = saved;
    return capture ? { k: "capture", sub } : sub;
  }

  private parseAtom(): Node {
    const start = this.pos;
    const c = this.peek();
    switch (c) {
      case 0x5b /* [ */:
        return this.parseClass();
      case 0x2e /* . */:
        this.pos++;
        return { k: "class", r: this.flags.s ? [0, MAX_RUNE] : [0, 0x09, 0x0b, MAX_RUNE] };
      case 0x5e /* ^ */:
        this.pos++;
        return { k: "assert", a: this.flags.m ? Assert.BeginLine : Assert.BeginText };
      case 0x24 /* $ */:
        this.pos++;
        return { k: "assert", a: this.flags.m ? Assert.EndLine : Assert.EndText };
      case 0x5c /* \ */:
        return this.parseBackslash(start);
      default:
        this.pos += this.width(c);
        return this.literal(c);
    }
  }

  private literal(c: number): Node {
    if (!this.flags.i) return { k: "class", r: [c, c] };
    const r: Ranges = [];
    for (const o of foldOrbit(c)) r.push(o, o);
    return { k: "class", r: normalize(r) };
  }

  private parseBackslash(start: number): Node {
    const c = this.peek(start + 1);
    switch (c) {
      case 0x41 /* A */:
        this.pos += 2;
        return { k: "assert", a: Assert.BeginText };
      case 0x7a /* z */:
        this.pos += 2;
        return { k: "assert", a: Assert.EndText };
      case 0x62 /* b */:
        this.pos += 2;
        return { k: "assert", a: Assert.WordBoundary };
      case 0x42 /* B */:
        this.pos += 2;
        return { k: "assert", a: Assert.NotWordBoundary };
      case 0x43 /* C */:
        return this.fail("invalid escape sequence", "\\C", start, escapeHint("\\C"));
    }
    const cls = this.classEscape();
    if (cls) return { k: "class", r: cls };
    return this.literal(this.parseEscape());
  }

  /** \p{..}, \P{..}, \d \D \s \S \w \W at pos, or undefined. */
  private classEscape(): Ranges | undefined {
    const c = this.peek(this.pos + 1);
    if (c === 0x70 || c === 0x50) return this.unicodeEscape();
    if (c >= 0 && "dDsSwW".includes(String.fromCharCode(c))) {
      this.pos += 2;
      return perlClass(String.fromCharCode(c), this.flags.i);
    }
    return undefined;
  }

  private unicodeEscape(): Ranges {
    const start = this.pos;
    let neg = this.src[start + 1] === "P";
    let name: string;
    this.pos += 2;
    if (this.pos >= this.src.length) this.fail("invalid character class range", this.src.slice(start), start);
    if (this.peek() === 0x7b) {
      const end = this.src.indexOf("}", this.pos);
      if (end < 0) this.fail("invalid character class range", this.src.slice(start), start);
      name = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      name = String.fromCodePoint(this.next());
    }
    if (name.startsWith("^")) {
      neg = !neg;
      name = name.slice(1);
    }
    const r = unicodeClass(name, this.flags.i);
    if (!r) {
      this.fail(
        "invalid character class range",
        this.src.slice(start, this.pos),
        start,
        "unknown Unicode class: use a general category (L, Lu, Nd, ...) or a one-word script name (Greek, Han, ...)",
      );
    }
    return neg ? negate(r) : r;
  }

  /** One escaped character (not a class or an assertion). */
  private parseEscape(): number {
    const start = this.pos;
    this.pos++; // backslash
    if (this.pos >= this.src.length) {
      this.fail("trailing backslash at end of expression", "", start, "escape it as `\\\\`");
    }
    const c = this.next();
    const bad = (): never => {
      const expr = this.src.slice(start, this.pos);
      return this.fail("invalid escape sequence", expr, start, escapeHint(expr));
    };
    if (c < 0x80 && !isAlnum(c)) return c;
    const isOct = (x: number) => x >= 0x30 && x <= 0x37;
    if ((c >= 0x31 && c <= 0x37 && isOct(this.peek())) || c === 0x30) {
      let r = c - 0x30;
      for (let i = 1; i < 3 && isOct(this.peek()); i++) r = r * 8 + this.next() - 0x30;
      return r;
    }
    switch (c) {
      case 0x78 /* x */: {
        if (this.pos >= this.src.length) return bad();
        const d = this.next();
        if (d === 0x7b) {
          let r = 0;
          let n = 0;
          for (;;) {
            if (this.pos >= this.src.length) return bad();
            const h = this.next();
            if (h === 0x7d) break;
            const v = unhex(h);
            if (v < 0) return bad();
            r = r * 16 + v;
            if (r > MAX_RUNE) return bad();
            n++;
          }
          if (n === 0) return bad();
          return r;
        }
        const x = unhex(d);
        if (this.pos >= this.src.length) return bad();
        const y = unhex(this.next());
        if (x < 0 || y < 0) return bad();
        return x * 16 + y;
      }
      case 0x61:
        return 0x07;
      case 0x66:
        return 0x0c;
      case 0x6e:
        return 0x0a;
      case 0x72:
        return 0x0d;
      case 0x74:
        return 0x09;
      case 0x76:
        return 0x0b;
    }
    return bad();
  }

  private parseClass(): Node {
    const start = this.pos;
    this.pos++; // [
    let neg = false;
    if (this.peek() === 0x5e) {
      neg = true;
      this.pos++;
    }
    const missing = () => this.fail("missing closing ]", this.src.slice(start), start, "add the missing `]` or escape the `[`");
    let r: Ranges = [];
    let first = true;
    while (first || this.peek() !== 0x5d) {
      if (this.pos >= this.src.length) missing();
      first = false;
      // [:alpha:] and [:^alpha:]
      if (this.lookingAt("[:")) {
        const end = this.src.indexOf(":]", this.pos + 2);
        if (end >= 0) {
          const expr = this.src.slice(this.pos, end + 2);
          const set = posixClass(expr.slice(2, -2), this.flags.i);
          if (!set) this.fail("invalid character class range", expr, this.pos, "POSIX classes are [:alnum:], [:alpha:], [:digit:], [:space:], [:word:], ...");
          r = r.concat(set);
          this.pos = end + 2;
          continue;
        }
      }
      if (this.peek() === 0x5c) {
        const cls = this.classEscape();
        if (cls) {
          r = r.concat(cls);
          continue;
        }
      }
      const rangeStart = this.pos;
      const lo = this.classChar(missing);
      let hi = lo;
      if (this.peek() === 0x2d && this.pos + 1 < this.src.length && this.src[this.pos + 1] !== "]") {
        this.pos++;
        hi = this.classChar(missing);
        if (hi < lo) {
          this.fail("invalid character class range", this.src.slice(rangeStart, this.pos), rangeStart, "a range must go from low to high");
        }
      }
      r.push(lo, hi);
      if (this.flags.i) r = r.concat(foldClosure([lo, hi]));
    }
    this.pos++; // ]
    r = normalize(r);
    if (neg) r = negate(r);
    return r.length === 0 ? { k: "nomatch" } : { k: "class", r };
  }

  private classChar(missing: () => never): number {
    if (this.pos >= this.src.length) missing();
    if (this.peek() === 0x5c) return this.parseEscape();
    return this.next();
  }
}

/** Go's check that nested counted repeats do not expand to more than n copies of the innermost thing. */
function repeatIsValid(n: Node, limit: number): boolean {
  if (n.k === "repeat" && !(n.min <= 1 && n.max === -1) && !(n.min === 0 && n.max === 1)) {
    let m = n.max;
    if (m === 0) return true;
    if (m < 0) m = n.min;
    if (m > limit) return false;
    if (m > 0) limit = Math.floor(limit / m);
  }
  switch (n.k) {
    case "repeat":
    case "capture":
      return repeatIsValid(n.sub, limit);
    case "cat":
    case "alt":
      return n.subs.every((s) => repeatIsValid(s, limit));
    default:
      return true;
  }
}

/** Parses a pattern (Go RE2 syntax, Perl flags) into its syntax tree. Throws RegexError. */
export function parse(pattern: string, maxRepeat = MAX_REPEAT): Node {
  return new Parser(pattern, maxRepeat).parse();
}
