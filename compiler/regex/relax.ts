// Compile-time facts that let the engine redact a large text piece by piece (docs/dlp.md, "Cost"):
//
// - separators: ASCII bytes that no match of any pattern can contain. A match never crosses one, and a
//   replacement never removes one, so the text splits at them into pieces that redact independently.
// - a relaxed prefilter: each pattern cut after its first large counted repetition (and that repetition cut
//   to a few copies), assertions dropped. Every match of a pattern starts with a match of its relaxed form,
//   so a piece the relaxed patterns do not match holds no match; their combined DFA stays small where the
//   exact one grows multiplicatively with overlapping counters.

import { type Node, EMPTY } from "./ast.ts";

/** Counted repetitions with more copies than this are cut (in the relaxed form). */
const KEEP = 4;

function big(n: Node): boolean {
  switch (n.k) {
    case "repeat":
      return n.max > KEEP || (n.max === -1 && n.min > KEEP) || big(n.sub);
    case "cat":
    case "alt":
      return n.subs.some(big);
    case "capture":
      return big(n.sub);
    default:
      return false;
  }
}

function noAsserts(n: Node): Node {
  switch (n.k) {
    case "assert":
      return EMPTY;
    case "cat":
      return { k: "cat", subs: n.subs.map(noAsserts) };
    case "alt":
      return { k: "alt", subs: n.subs.map(noAsserts) };
    case "capture":
      return noAsserts(n.sub);
    case "repeat":
      return { ...n, sub: noAsserts(n.sub) };
    default:
      return n;
  }
}

/** A node whose matches are prefixes of n's matches (`cut`: only a prefix; what follows n must go). */
function prefix(n: Node): { node: Node; cut: boolean } {
  if (!big(n)) return { node: noAsserts(n), cut: false };
  switch (n.k) {
    case "capture":
      return prefix(n.sub);
    case "alt": {
      const rs = n.subs.map(prefix);
      return { node: { k: "alt", subs: rs.map((r) => r.node) }, cut: rs.some((r) => r.cut) };
    }
    case "cat": {
      const out: Node[] = [];
      for (const s of n.subs) {
        const r = prefix(s);
        out.push(r.node);
        if (r.cut) return { node: { k: "cat", subs: out }, cut: true };
      }
      return { node: { k: "cat", subs: out }, cut: false };
    }
    case "repeat": {
      if (n.min === 0) return { node: EMPTY, cut: true };
      if (big(n.sub)) return { node: prefix(n.sub).node, cut: true };
      const c = Math.min(n.min, KEEP);
      return { node: { k: "repeat", min: c, max: c, greedy: true, sub: noAsserts(n.sub) }, cut: true };
    }
    default:
      return { node: n, cut: false };
  }
}

/** Can n match the empty string (assertions taken as satisfied)? */
export function nullable(n: Node): boolean {
  switch (n.k) {
    case "empty":
    case "assert":
      return true;
    case "cat":
      return n.subs.every(nullable);
    case "alt":
      return n.subs.some(nullable);
    case "repeat":
      return n.min === 0 || nullable(n.sub);
    case "capture":
      return nullable(n.sub);
    default:
      return false;
  }
}

/** The relaxed form of a pattern: every match of n begins with a match of it. */
export function relaxed(n: Node): Node {
  return prefix(n).node;
}

function addAscii(n: Node, seen: Uint8Array): void {
  switch (n.k) {
    case "class":
      for (let i = 0; i < n.r.length; i += 2) for (let c = n.r[i]; c <= n.r[i + 1] && c < 0x80; c++) seen[c] = 1;
      return;
    case "cat":
    case "alt":
      n.subs.forEach((s) => addAscii(s, seen));
      return;
    case "repeat":
    case "capture":
      addAscii(n.sub, seen);
      return;
    default:
      return;
  }
}

/**
 * Bitmap (32 bytes, bit b of byte b >> 3) of the ASCII bytes that no match of any of the patterns contains;
 * all zero when some pattern can match the empty string (an empty match needs no byte at all).
 */
export function separators(asts: Node[]): Uint8Array {
  const map = new Uint8Array(32);
  if (asts.some(nullable)) return map;
  const seen = new Uint8Array(128);
  asts.forEach((a) => addAscii(a, seen));
  for (let b = 0; b < 128; b++) if (!seen[b]) map[b >> 3] |= 1 << (b & 7);
  return map;
}
