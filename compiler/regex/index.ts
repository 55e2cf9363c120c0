// toolgate's regex compiler: RE2 (Go regexp) syntax to DFAs that the Wasm engine runs in linear time.
// See docs/regex.md for the supported syntax, the match semantics and the blob format.

import type { Node } from "./ast.ts";
import { Mode, buildDfa, tooLarge } from "./dfa.ts";
import { minimize } from "./minimize.ts";
import { product } from "./product.ts";
import { nullable, relaxed, separators } from "./relax.ts";
import { RegexError } from "./errors.ts";
import { buildNfa } from "./nfa.ts";
import { MAX_REPEAT, parse } from "./parse.ts";
import { Kind, serialize } from "./serialize.ts";

export { RegexError } from "./errors.ts";
export { parse } from "./parse.ts";
export { validate } from "./serialize.ts";
export { find, findAll, isMatch, replaceAll, runeWidth } from "./interpret.ts";

export interface RegexLimits {
  /** Most states one DFA may have (default 4096; for compileAnyOf, DEFAULT_MAX_ANYOF_STATES). */
  maxStates?: number;
  /** Largest repeat count, and largest product of nested counts (default 1000, as in Go). */
  maxRepeat?: number;
}

export const DEFAULT_MAX_STATES = 4096;
/**
 * Default limit of the any-of DFA. It is a product of the patterns' DFAs, so it is naturally larger:
 * the nine DLP patterns of examples/dlp.yaml need about 4,900 states (1.3 MB of table).
 */
export const DEFAULT_MAX_ANYOF_STATES = 16384;

// The product of any-of components may pass through this many times the limit before minimization.
const PRODUCT_SLACK = 4;

function parseWith(pattern: string, limits?: RegexLimits): Node {
  return parse(pattern, limits?.maxRepeat ?? MAX_REPEAT);
}

/**
 * Compiles one RE2-syntax pattern. `forward` is the unanchored search DFA with Go's leftmost-first
 * semantics (it finds where the match ends); `reverse` runs backwards from that end to find where it
 * starts. `states` is the number of states of the forward DFA. Throws RegexError.
 */
export function compileRegex(
  pattern: string,
  limits?: RegexLimits,
): { forward: Uint8Array; reverse: Uint8Array; states: number } {
  const ast = parseWith(pattern, limits);
  const max = limits?.maxStates ?? DEFAULT_MAX_STATES;
  const fwd = minimize(buildDfa(buildNfa([ast], false, true), Mode.First, max));
  const rev = minimize(buildDfa(buildNfa([ast], true, false), Mode.Longest, max));
  return { forward: serialize(fwd, Kind.Forward), reverse: serialize(rev, Kind.Reverse), states: fwd.numStates };
}

/** The forward DFA of compileRegex alone (enough where only "does it match" is asked). */
export function compileForward(pattern: string, limits?: RegexLimits): { forward: Uint8Array; states: number } {
  const ast = parseWith(pattern, limits);
  const fwd = minimize(buildDfa(buildNfa([ast], false, true), Mode.First, limits?.maxStates ?? DEFAULT_MAX_STATES));
  return { forward: serialize(fwd, Kind.Forward), states: fwd.numStates };
}

/**
 * An any-of DFA of literal strings, determinized directly from their union (for literals that is cheaper
 * than the product of compileAnyOf, and as small).
 */
export function compileLiterals(words: string[]): Uint8Array {
  const alt = words.map((w) => w.replace(/[\\.+*?()|[\]{}^$]/g, (c) => "\\" + c)).join("|");
  const dfa = minimize(buildDfa(buildNfa([parseWith(alt)], false, true), Mode.Any, DEFAULT_MAX_ANYOF_STATES));
  return serialize(dfa, Kind.AnyOf);
}

/**
 * One DFA answering "does any of these patterns match anywhere" (like RE2::Set). Throws RegexError when
 * a pattern is invalid or the combined DFA is over the state limit (default DEFAULT_MAX_ANYOF_STATES);
 * callers then use per-pattern DFAs.
 */
export function compileAnyOf(patterns: string[], limits?: RegexLimits): Uint8Array {
  const asts = patterns.map((p, i) => {
    try {
      return parseWith(p, limits);
    } catch (e) {
      if (e instanceof RegexError) e.message = `pattern ${i + 1}: ${e.message}`;
      throw e;
    }
  });
  return anyOf(asts, limits);
}

function anyOf(asts: Node[], limits?: RegexLimits): Uint8Array {
  if (asts.length === 0) asts.push({ k: "nomatch" });
  const max = limits?.maxStates ?? DEFAULT_MAX_ANYOF_STATES;
  const parts = asts.map((a) => minimize(buildDfa(buildNfa([a], false, true), Mode.Any, max)));
  let dfa = parts[0];
  if (parts.length > 1) {
    try {
      dfa = minimize(product(parts, max * PRODUCT_SLACK));
    } catch (e) {
      throw e instanceof RegexError ? tooLarge(max) : e;
    }
  }
  if (dfa.numStates > max) throw tooLarge(max);
  return serialize(dfa, Kind.AnyOf);
}

/** States of the relaxed prefilter (it is a gate: when it would be larger, there is none). */
const MAX_RELAXED_STATES = 2048;

/**
 * What lets the engine redact large texts piece by piece (compiler/regex/relax.ts): the separator bitmap
 * (32 bytes) and the relaxed any-of DFA that finds the pieces that may hold a match (null when it is not
 * useful or too large). The patterns must be valid.
 */
export function compileDlpPieces(patterns: string[]): { separators: Uint8Array; prefilter: Uint8Array | null } {
  const asts = patterns.map((p) => parse(p, MAX_REPEAT));
  const loose = asts.map(relaxed);
  let prefilter: Uint8Array | null = null;
  if (asts.length > 0 && !loose.some(nullable)) {
    try {
      prefilter = anyOf(loose, { maxStates: MAX_RELAXED_STATES });
    } catch (e) {
      if (!(e instanceof RegexError)) throw e;
    }
  }
  return { separators: separators(asts), prefilter };
}
