// Random patterns and inputs for differential tests, from a seeded generator (reproducible failures).

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const ATOMS = [
  "a", "b", "c", "A", "é", "€", " ", "\\n", "1", "k", "s",
  "[ab]", "[^a]", "[^\\n]", "[a-c]", "[^a-c\\x{FFFD}]", "[\\x{FFFD}]", "\\x{FFFD}", "[é€]", "[[:alpha:]]", "[[:^space:]]",
  ".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "\\pL", "\\PL", "\\p{Greek}",
  "\\b", "\\B", "^", "$", "\\A", "\\z", "(?:)",
];
const FLAGS = ["i", "m", "s", "U", "-i", "-m", "-s", "im", "is", "ms"];
const REPS = ["*", "+", "?", "*?", "+?", "??", "{2}", "{0,2}", "{1,3}", "{2,}", "{0,1}?", "{1,2}?"];

export function randomPattern(r: () => number, depth = 0): string {
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const n = 1 + Math.floor(r() * (depth > 1 ? 2 : 3));
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    let atom: string;
    if (x < 0.6 || depth > 2) atom = pick(ATOMS);
    else if (x < 0.75) atom = "(" + randomPattern(r, depth + 1) + ")";
    else if (x < 0.85) atom = "(?:" + randomPattern(r, depth + 1) + "|" + randomPattern(r, depth + 1) + ")";
    else if (x < 0.92) atom = "(?" + pick(FLAGS) + ":" + randomPattern(r, depth + 1) + ")";
    else atom = "(?" + pick(FLAGS) + ")";
    if (r() < 0.35 && !atom.startsWith("(?") ) atom += pick(REPS);
    else if (r() < 0.2 && atom.startsWith("(?:")) atom += pick(REPS);
    parts.push(atom);
  }
  let p = parts.join("");
  if (r() < 0.15 && depth < 2) p += "|" + randomPattern(r, depth + 1);
  return p;
}

const CHUNKS: number[][] = [
  [0x61], [0x62], [0x63], [0x41], [0x4b], [0x6b], [0x73], [0x20], [0x0a], [0x31], [0x5f],
  [0xc3, 0xa9], // é
  [0xe2, 0x82, 0xac], // €
  [0xce, 0xb1], // α
  [0xe2, 0x84, 0xaa], // Kelvin sign
  [0xc5, 0xbf], // long s
  [0xf0, 0x9f, 0x98, 0x80], // emoji
  [0xef, 0xbf, 0xbd], // U+FFFD itself
  [0xff], [0x80], [0xbf], [0xc0], [0xe2], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xe0, 0x80], [0xf4, 0x90],
];

export function randomInput(r: () => number, maxChunks = 12): Uint8Array {
  const n = Math.floor(r() * maxChunks);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...CHUNKS[Math.floor(r() * CHUNKS.length)]);
  return Uint8Array.from(out);
}
