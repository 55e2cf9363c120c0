// The parsed form of a pattern. Literals and classes are both code point sets. A capture group is kept as
// a node only because Go's simplifier treats it as opaque, which decides how some nested repeats compile.

import type { Ranges } from "./charclass.ts";

export const enum Assert {
  BeginText = 1,
  EndText = 2,
  BeginLine = 4,
  EndLine = 8,
  WordBoundary = 16,
  NotWordBoundary = 32,
}

/** A repeat with max -1 is unbounded. Star is {0,-1}, plus {1,-1}, quest {0,1}. */
export type Node =
  | { k: "empty" } // matches the empty string
  | { k: "nomatch" } // matches nothing (an empty class)
  | { k: "class"; r: Ranges } // one code point from the set
  | { k: "assert"; a: Assert }
  | { k: "cat"; subs: Node[] }
  | { k: "alt"; subs: Node[] }
  | { k: "repeat"; min: number; max: number; greedy: boolean; sub: Node }
  | { k: "capture"; sub: Node };

export const EMPTY: Node = { k: "empty" };

export function isStar(n: Node): boolean {
  return n.k === "repeat" && n.min === 0 && n.max === -1;
}
export function isPlus(n: Node): boolean {
  return n.k === "repeat" && n.min === 1 && n.max === -1;
}
export function isQuest(n: Node): boolean {
  return n.k === "repeat" && n.min === 0 && n.max === 1;
}

function sameOp(a: Node, b: Node): boolean {
  return (isStar(a) && isStar(b)) || (isPlus(a) && isPlus(b)) || (isQuest(a) && isQuest(b));
}

/** Star, plus or quest of sub, collapsing what Go's simplifier collapses (x** is x*, ()* is ()). */
function simple(min: number, max: number, greedy: boolean, sub: Node): Node {
  const n: Node = { k: "repeat", min, max, greedy, sub };
  if (sub.k === "empty") return sub;
  if (sub.k === "repeat" && sameOp(n, sub) && sub.greedy === greedy) return sub;
  return n;
}

/**
 * Rewrites counted repeats into star, plus and quest the way Go's regexp/syntax Simplify does
 * (x{2,5} is xx(x(x(x)?)?)?, x{3,} is xxx+), so priorities come out exactly as in Go.
 */
export function simplify(n: Node): Node {
  switch (n.k) {
    case "cat":
      return { k: "cat", subs: n.subs.map(simplify) };
    case "alt":
      return { k: "alt", subs: n.subs.map(simplify) };
    case "capture":
      return { k: "capture", sub: simplify(n.sub) };
    case "repeat": {
      const sub = simplify(n.sub);
      const { min, max, greedy } = n;
      if (max === -1) {
        if (min === 0) return simple(0, -1, greedy, sub);
        if (min === 1) return simple(1, -1, greedy, sub);
        const subs: Node[] = [];
        for (let i = 0; i < min - 1; i++) subs.push(sub);
        subs.push(simple(1, -1, greedy, sub));
        return { k: "cat", subs };
      }
      if (min === 0 && max === 0) return EMPTY;
      if (min === 1 && max === 1) return sub;
      if (min === 0 && max === 1) return simple(0, 1, greedy, sub);
      const subs: Node[] = [];
      for (let i = 0; i < min; i++) subs.push(sub);
      if (max > min) {
        let suffix = simple(0, 1, greedy, sub);
        for (let i = min + 1; i < max; i++) suffix = simple(0, 1, greedy, { k: "cat", subs: [sub, suffix] });
        subs.push(suffix);
      }
      return subs.length === 1 ? subs[0] : { k: "cat", subs };
    }
    default:
      return n;
  }
}
