// Thompson NFA over bytes, with Go's alternative priorities. Each node either consumes one byte (Bytes),
// branches (Split: out before out1 in priority), tests an empty-width assertion, or ends in Match / Fail.
// Bytes edges carry a tag telling the DFA builder how the byte relates to Go's reading of invalid UTF-8.

import { Assert, type Node, simplify } from "./ast.ts";
import { RegexError } from "./errors.ts";
import { nullable } from "./relax.ts";
import { compileClass } from "./utf8.ts";

// Node kinds (plain numbers: they are compared in the DFA builder's inner loops).
export const OP_FAIL = 0;
export const OP_MATCH = 1;
export const OP_SPLIT = 2;
export const OP_ASSERT = 3;
export const OP_BYTES = 4;

// Edge tags.
export const TAG_NORMAL = 0; // part of a valid UTF-8 encoding
export const TAG_LONE = 1; // an invalid byte read as U+FFFD on its own
export const TAG_LONE_LEAD = 2; // forward: a lead byte read as U+FFFD; valid only if what follows does not complete it
export const TAG_LONE_CONT = 3; // reverse: a continuation byte read as U+FFFD; valid only if no lead byte before claims it

export interface Edge {
  lo: number;
  hi: number;
  to: number;
  tag: number;
}

export interface NfaNode {
  op: number;
  out: number;
  out1: number;
  assert: Assert | 0;
  edges: Edge[];
}

export interface Nfa {
  nodes: NfaNode[];
  start: number;
  /** Union of the assertions used (as they read in the NFA's own direction). */
  asserts: number;
  reverse: boolean;
}

/** NFAs above this size are refused before any DFA work (a DFA of them would be far over any limit). */
const MAX_NODES = 100_000;

export class NfaBuilder {
  readonly nodes: NfaNode[] = [];
  asserts = 0;
  private failNode = -1;

  constructor(readonly reverse: boolean) {}

  add(op: number, out = -1, out1 = -1, assert: Assert | 0 = 0, edges: Edge[] = []): number {
    if (this.nodes.length >= MAX_NODES) {
      throw new RegexError(
        "pattern too large: its automaton needs more than " + MAX_NODES + " nodes",
        0,
        "reduce counted repetitions of large classes (for example \\pL{1000})",
      );
    }
    this.nodes.push({ op, out, out1, assert, edges });
    return this.nodes.length - 1;
  }

  fail(): number {
    if (this.failNode < 0) this.failNode = this.add(OP_FAIL);
    return this.failNode;
  }

  split(a: number, b: number): number {
    return this.add(OP_SPLIT, a, b);
  }

  bytes(edges: Edge[]): number {
    return this.add(OP_BYTES, -1, -1, 0, edges);
  }
}


// In the reverse NFA the text is read backwards: begin and end swap, word boundaries stay.
const REVERSED: Record<number, Assert> = {
  [Assert.BeginText]: Assert.EndText,
  [Assert.EndText]: Assert.BeginText,
  [Assert.BeginLine]: Assert.EndLine,
  [Assert.EndLine]: Assert.BeginLine,
  [Assert.WordBoundary]: Assert.WordBoundary,
  [Assert.NotWordBoundary]: Assert.NotWordBoundary,
};

/** Compiles n so that a thread finishing it continues at node `next`; returns the entry node. */
function compile(b: NfaBuilder, n: Node, next: number): number {
  switch (n.k) {
    case "empty":
      return next;
    case "nomatch":
      return b.fail();
    case "class":
      return n.r.length === 0 ? b.fail() : compileClass(b, n.r, next);
    case "assert": {
      const a = b.reverse ? REVERSED[n.a] : n.a;
      b.asserts |= a;
      return b.add(OP_ASSERT, next, -1, a);
    }
    case "capture":
      return compile(b, n.sub, next);
    case "cat": {
      let at = next;
      if (b.reverse) for (const s of n.subs) at = compile(b, s, at);
      else for (let i = n.subs.length - 1; i >= 0; i--) at = compile(b, n.subs[i], at);
      return at;
    }
    case "alt": {
      let at = compile(b, n.subs[n.subs.length - 1], next);
      for (let i = n.subs.length - 2; i >= 0; i--) at = b.split(compile(b, n.subs[i], next), at);
      return at;
    }
    case "repeat": {
      const { min, max, greedy, sub } = n;
      const order = (body: number, exit: number) => (greedy ? [body, exit] : [exit, body]);
      if (min === 0 && max === 1) {
        const body = compile(b, sub, next);
        return b.split(...(order(body, next) as [number, number]));
      }
      // Star or plus: a loop node L choosing between the body (which returns to L) and the exit.
      const loop = b.split(-1, -1);
      const body = compile(b, sub, loop);
      [b.nodes[loop].out, b.nodes[loop].out1] = order(body, next);
      if (min === 1) return body; // plus: enter at the body
      // Star of something that can match empty is compiled as (x+)? to keep Go's priorities.
      if (nullable(sub)) return b.split(...(order(body, next) as [number, number]));
      return loop;
    }
  }
}

/**
 * Builds the NFA of one or more patterns (alternatives in priority order). Forward NFAs get the lazy
 * unanchored prefix (?s:.)*? so they search; reverse NFAs are anchored at their start.
 */
export function buildNfa(asts: Node[], reverse: boolean, unanchored: boolean): Nfa {
  const b = new NfaBuilder(reverse);
  const match = b.add(OP_MATCH);
  const tree: Node = asts.length === 1 ? asts[0] : { k: "alt", subs: asts };
  let start = compile(b, simplify(tree), match);
  if (unanchored) {
    // L: Split(pattern, any code point -> L): the pattern first, so earlier starts win.
    const loop = b.split(start, -1);
    b.nodes[loop].out1 = compileClass(b, [0, 0x10ffff], loop);
    start = loop;
  }
  return { nodes: b.nodes, start, asserts: b.asserts, reverse };
}
