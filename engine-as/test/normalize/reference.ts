// Plain-JS reference of aip-go's NormalizeName, for checking the engine (docs/normalization.md):
// NFKC, lowercase code point by code point, trim White_Space, keep only L, M, N, P, S and U+0020.
// The engine differs from it only where it inserts U+034F after 30 non-starters in a row, as Go does
// (stream-safe text); the tests keep such runs out of what they compare with it.

const WHITE_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TRIM = new RegExp(`^[${WHITE_SPACE}]+|[${WHITE_SPACE}]+$`, "gu");
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function referenceNormalize(name: string): string {
  let lower = "";
  // Go's strings.ToLower maps rune by rune with the simple mapping: U+0130 becomes "i" (JS: "i\u0307") and
  // a final sigma stays U+03C3 (JS: U+03C2 when the whole string is lowercased).
  for (const ch of name.normalize("NFKC")) lower += ch === "\u0130" ? "i" : ch.toLowerCase();
  return Array.from(lower.replace(TRIM, ""))
    .filter((ch) => PRINTABLE.test(ch))
    .join("");
}
