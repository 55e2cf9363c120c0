// Code point sets as byte automata. A set becomes a small DAG over UTF-8 bytes (shared suffixes), emitted
// forwards or, for the reverse NFA, with its edges flipped. Sets containing U+FFFD also accept what Go's
// decoder reads as U+FFFD: each byte that does not start a valid encoding, taken alone (see pending.ts).

import { clip, contains, type Ranges } from "./charclass.ts";
import { type Edge, type NfaBuilder, TAG_LONE, TAG_LONE_CONT, TAG_LONE_LEAD, TAG_NORMAL } from "./nfa.ts";

const FINAL = -1;

interface DagEdge {
  lo: number;
  hi: number;
  to: number; // DAG node index, or FINAL
}

// Code points by encoded length, surrogates excluded (they have no valid encoding).
const LENGTHS: { n: number; lo: number; hi: number; leadLo: number; leadHi: number }[] = [
  { n: 2, lo: 0x80, hi: 0x7ff, leadLo: 0xc0, leadHi: 0xdf },
  { n: 3, lo: 0x800, hi: 0xffff, leadLo: 0xe0, leadHi: 0xef },
  { n: 4, lo: 0x10000, hi: 0x10ffff, leadLo: 0xf0, leadHi: 0xf7 },
];

function withoutSurrogates(r: Ranges): Ranges {
  const out: Ranges = [];
  for (let i = 0; i < r.length; i += 2) {
    const lo = r[i];
    const hi = r[i + 1];
    if (hi < 0xd800 || lo > 0xdfff) out.push(lo, hi);
    else {
      if (lo < 0xd800) out.push(lo, 0xd7ff);
      if (hi > 0xdfff) out.push(0xe000, hi);
    }
  }
  return out;
}

/** Merges adjacent byte values leading to the same place into ranges. */
function pushEdge(edges: DagEdge[], byte: number, to: number): void {
  const last = edges[edges.length - 1];
  if (last && last.to === to && last.hi === byte - 1) last.hi = byte;
  else edges.push({ lo: byte, hi: byte, to });
}

/** The DAG of valid encodings of set: node 0 is the root; other nodes are shared suffixes. */
function buildDag(set: Ranges): DagEdge[][] {
  const nodes: DagEdge[][] = [[]];
  const memo = new Map<string, number>();

  // Continuation bytes for code points in sub, all inside [base, base + 64^k - 1].
  const tail = (sub: Ranges, k: number, base: number): number => {
    const key = k + ":" + sub.map((x) => x - base).join(",");
    const known = memo.get(key);
    if (known !== undefined) return known;
    const size = 64 ** (k - 1);
    const edges: DagEdge[] = [];
    for (let j = 0; j < 64; j++) {
      const lo = base + j * size;
      const part = clip(sub, lo, lo + size - 1);
      if (part.length === 0) continue;
      pushEdge(edges, 0x80 + j, k === 1 ? FINAL : tail(part, k - 1, lo));
    }
    nodes.push(edges);
    memo.set(key, nodes.length - 1);
    return nodes.length - 1;
  };

  const root: DagEdge[] = [];
  const ascii = clip(set, 0, 0x7f);
  for (let i = 0; i < ascii.length; i += 2) root.push({ lo: ascii[i], hi: ascii[i + 1], to: FINAL });
  for (const L of LENGTHS) {
    const valid = clip(set, L.lo, L.hi);
    if (valid.length === 0) continue;
    const bits = 6 * (L.n - 1);
    for (let lead = L.leadLo; lead <= L.leadHi; lead++) {
      const base = (lead & (0xff >> (L.n + 1))) << bits;
      const sub = clip(valid, base, base + 2 ** bits - 1);
      if (sub.length > 0) pushEdge(root, lead, tail(sub, L.n - 1, base));
    }
  }
  nodes[0] = root;
  return nodes;
}

/** Emits the automaton for one code point of `set`, continuing at `next`. Returns its entry node. */
export function compileClass(b: NfaBuilder, set: Ranges, next: number): number {
  const key = set.join(",");
  const fwd = cached(forwardCache, key, () => buildDag(withoutSurrogates(set)));
  let entry = emit(b, b.reverse ? cached(reverseCache, key, () => reverseOf(fwd)) : fwd, next);
  if (contains(set, 0xfffd)) {
    // Bytes Go reads as U+FFFD on their own (tagged so the DFA builder can check the bytes around them).
    const lone = b.reverse
      ? b.bytes([
          { lo: 0x80, hi: 0xbf, to: next, tag: TAG_LONE_CONT },
          { lo: 0xc0, hi: 0xff, to: next, tag: TAG_LONE },
        ])
      : b.bytes([
          { lo: 0x80, hi: 0xc1, to: next, tag: TAG_LONE },
          { lo: 0xc2, hi: 0xf4, to: next, tag: TAG_LONE_LEAD },
          { lo: 0xf5, hi: 0xff, to: next, tag: TAG_LONE },
        ]);
    entry = b.split(entry, lone);
  }
  return entry;
}

/** An automaton over bytes: state 0 is the entry; an edge to -1 means "a whole code point was read". */
type ByteAutomaton = DagEdge[][];

// Both shapes of a class are pure functions of its set; patterns often repeat a class (\pL{1,2}).
const forwardCache = new Map<string, ByteAutomaton>();
const reverseCache = new Map<string, ByteAutomaton>();
const CACHE_LIMIT = 256;

function cached(cache: Map<string, ByteAutomaton>, key: string, make: () => ByteAutomaton): ByteAutomaton {
  let a = cache.get(key);
  if (!a) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, (a = make()));
  }
  return a;
}

/**
 * The DAG read backwards (last byte first), determinized: its states are the sets of DAG nodes a
 * backwards reading may be in, so each thread of the reverse DFA stays one thread. Encodings end with
 * their lead byte, so reaching the root (a whole code point read) ends the reading.
 */
function reverseOf(dag: DagEdge[][]): ByteAutomaton {
  // Flipped edges: into[v] lists [lo, hi, u] for every DAG edge u -> v (FINAL is index dag.length).
  const F = dag.length;
  const into: number[][] = dag.map(() => []);
  into.push([]);
  dag.forEach((edges, u) => {
    for (const e of edges) into[e.to === FINAL ? F : e.to].push(e.lo, e.hi, u);
  });
  const states: DagEdge[][] = [];
  const ids = new Map<string, number>();
  const sets: number[][] = [];
  const idOf = (set: number[]): number => {
    if (set.length === 1 && set[0] === 0) return FINAL; // the root: a whole code point was read
    const key = set.join(",");
    let id = ids.get(key);
    if (id === undefined) {
      id = states.length;
      ids.set(key, id);
      states.push([]);
      sets.push(set);
    }
    return id;
  };
  idOf([F]);
  for (let s = 0; s < states.length; s++) {
    const set = sets[s];
    // Only where some flipped edge starts or ends can the successor set change.
    const cuts = new Set<number>([0, 256]);
    for (const v of set) for (let i = 0; i < into[v].length; i += 3) cuts.add(into[v][i]).add(into[v][i + 1] + 1);
    const bounds = [...cuts].sort((p, q) => p - q);
    for (let k = 0; k + 1 < bounds.length; k++) {
      const x = bounds[k];
      const succ = new Set<number>();
      for (const v of set) {
        const list = into[v];
        for (let i = 0; i < list.length; i += 3) if (x >= list[i] && x <= list[i + 1]) succ.add(list[i + 2]);
      }
      if (succ.size === 0) continue;
      const to = idOf([...succ].sort((p, q) => p - q));
      const edges = states[s];
      const last = edges[edges.length - 1];
      if (last && last.to === to && last.hi === x - 1) last.hi = bounds[k + 1] - 1;
      else edges.push({ lo: x, hi: bounds[k + 1] - 1, to });
    }
  }
  return states;
}

/** Emits a byte automaton as NFA Bytes nodes, continuing at `next` after a whole code point. */
function emit(b: NfaBuilder, a: ByteAutomaton, next: number): number {
  const ids = a.map(() => b.bytes([]));
  a.forEach((edges, i) => {
    b.nodes[ids[i]].edges = edges.map((e) => ({
      lo: e.lo,
      hi: e.hi,
      to: e.to === FINAL ? next : ids[e.to],
      tag: TAG_NORMAL,
    }));
  });
  return ids[0];
}
