// Subset construction from the byte NFA to a DFA whose states are lists of NFA threads.
//
// Mode.First (forward search, Go's leftmost-first): a state is an ORDERED list of threads, highest priority
// first; when a thread reaches Match, every lower-priority thread is cut (RE2's leftmost-first DFA). The DFA
// then runs until it dies or the text ends, and the last match it saw is where Go's match ends.
// Mode.Any (any-of prefilter): an unordered set; the first match is final (one absorbing match state).
// Mode.Longest (reverse scan for the match start): an unordered set; matches are recorded, never cut.
//
// Empty-width assertions are evaluated when the next byte is known: a state remembers what the previous
// byte was (begin of text, '\n', word byte, other), and each transition computes the assertions between
// that and the byte read (or the end of the scan, a separate input). So a match is seen one byte late:
// entering a match state means a match ended `delay` bytes ago (1, or more while a lone U+FFFD reading
// was still pending, see pending.ts).
//
// Threads that can never change the result are dropped as states are built (see dominates()), so the
// construction stays close to the minimal DFA instead of enumerating every combination of overlapping
// candidates (for `[A-Z]{4}[A-Z0-9]{16}` on "AKIAAKIA..." only the earliest candidate matters).

import { Assert } from "./ast.ts";
import { RegexError } from "./errors.ts";
import { type Nfa, OP_ASSERT, OP_BYTES, OP_MATCH, OP_SPLIT, TAG_LONE_CONT, TAG_LONE_LEAD } from "./nfa.ts";
import { PASS, REFUTE, fwdInit, fwdStep, revInit, revMatchInit, revMatchStep, revStep } from "./pending.ts";

export const enum Mode {
  First,
  Any,
  Longest,
}

// Look-behind contexts (what precedes the current position), in blob order.
export const CTX_BEGIN = 0;
export const CTX_NL = 1;
export const CTX_WORD = 2;
export const CTX_OTHER = 3;

// End-of-scan inputs: the text ends, or the scan stops before a byte of this kind (reverse scans stop
// at the search start, where assertions still see the byte before it). Same order as the contexts.
export const EOT_END = 0;
export const EOT_NL = 1;
export const EOT_WORD = 2;
export const EOT_OTHER = 3;

export interface Dfa {
  numStates: number;
  numClasses: number;
  classOf: Uint8Array; // byte -> class
  next: Int32Array; // state * numClasses + class -> state
  eot: Uint8Array; // state * 4 + EOT_* -> 0 (no match) or 1 + bytes between match end and scan end
  delay: Uint8Array; // state -> 0, or bytes between the match end and the position after entering it
  start: number[]; // CTX_* -> state
  dead: number;
}

export function isWordByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || (b >= 0x61 && b <= 0x7a);
}

export function tooLarge(maxStates: number): RegexError {
  return new RegexError(
    `pattern too large: its DFA needs more than ${maxStates} states`,
    0,
    "narrow a `.*` or `\\w+` that runs next to other repeats, or lower a large counted repetition like {100,}",
  );
}

/** Most thread steps one DFA construction may take (about a second). */
export const MAX_WORK = 5_000_000;

function tooMuchWork(): RegexError {
  return new RegexError(
    "pattern too large: building its DFA takes too long (too many overlapping partial matches)",
    0,
    "narrow a `.*` or `\\w+` that runs next to other repeats, or lower a large counted repetition like {1,1000}",
  );
}

// Entries of a state: a thread is node * 32 + pending check; a tentative match (one whose U+FFFD
// reading is not confirmed yet) is -(1 + delay * 32 + wait state).
const SHIFT = 32;

// Most pairs one domination question may explore, and all questions of one DFA together, before
// giving up (answering "no", which is safe).
const MAX_PAIRS = 5000;
const MAX_DOMINATION_WORK = 100_000;
// How many kept threads a new thread is compared with, from each end of the list.
const PRUNE_WINDOW = 8;

/** Builds the DFA; throws RegexError when it needs more than maxStates states. */
export function buildDfa(nfa: Nfa, mode: Mode, maxStates: number): Dfa {
  const { nodes, reverse } = nfa;
  const N = nodes.length;
  const op = Int8Array.from(nodes, (n) => n.op);
  const out = Int32Array.from(nodes, (n) => n.out);
  const out1 = Int32Array.from(nodes, (n) => n.out1);
  const asrt = Int32Array.from(nodes, (n) => n.assert);

  const needWord = (nfa.asserts & (Assert.WordBoundary | Assert.NotWordBoundary)) !== 0;
  const needNL = (nfa.asserts & Assert.BeginLine) !== 0;
  const needBegin = (nfa.asserts & (Assert.BeginLine | Assert.BeginText)) !== 0;
  const needEndNL = (nfa.asserts & Assert.EndLine) !== 0;

  // Only the look-behind distinctions some assertion needs are kept, so they do not multiply states.
  const collapse = (ctx: number): number => {
    if (ctx === CTX_WORD && !needWord) return CTX_OTHER;
    if (ctx === CTX_NL && !needNL) return CTX_OTHER;
    if (ctx === CTX_BEGIN && !needBegin) return CTX_OTHER;
    return ctx;
  };

  // Byte classes for construction: bytes that no NFA edge, assertion or UTF-8 check tells apart.
  const cuts = new Set<number>([0, 256, 0x80, 0x90, 0xa0, 0xc0, 0xc2, 0xe0, 0xe1, 0xed, 0xee, 0xf0, 0xf1, 0xf4, 0xf5]);
  for (const n of nodes) for (const e of n.edges) cuts.add(e.lo).add(e.hi + 1);
  if (needWord) for (const c of [0x30, 0x3a, 0x41, 0x5b, 0x5f, 0x60, 0x61, 0x7b]) cuts.add(c);
  if (needNL || needEndNL) cuts.add(0x0a).add(0x0b);
  const bounds = [...cuts].sort((a, b) => a - b);
  const C = bounds.length - 1;
  const reps = bounds.slice(0, C); // first byte of each construction class
  const I = C + 4; // inputs: byte classes, then the four end-of-scan kinds
  const ctxAfter = reps.map((b) => collapse(b === 0x0a ? CTX_NL : isWordByte(b) ? CTX_WORD : CTX_OTHER));

  // Assertions true between a context and an input.
  const flags = new Int32Array(4 * I);
  for (let ctx = 0; ctx < 4; ctx++) {
    for (let x = 0; x < I; x++) {
      const eot = x - C;
      const b = x < C ? reps[x] : -1;
      const end = eot === EOT_END;
      const nextNL = b === 0x0a || eot === EOT_NL;
      const nextWord = b >= 0 ? isWordByte(b) : eot === EOT_WORD;
      let f = 0;
      if (ctx === CTX_BEGIN) f |= Assert.BeginText | Assert.BeginLine;
      if (ctx === CTX_NL) f |= Assert.BeginLine;
      if (end) f |= Assert.EndText | Assert.EndLine;
      if (nextNL) f |= Assert.EndLine;
      f |= (ctx === CTX_WORD) !== nextWord ? Assert.WordBoundary : Assert.NotWordBoundary;
      flags[ctx * I + x] = f;
    }
  }

  // Epsilon closure of a node under a set of true assertions: the Bytes and Match nodes it reaches,
  // in priority order (a depth-first walk, out before out1, each node once).
  // Caches keyed by node * 64 + assertion set (the sets are 6-bit masks): arrays, not maps, as these
  // lookups are the construction's inner loop.
  const closures: (Int32Array | undefined)[] = new Array(N * 64);
  const mark = new Int32Array(N);
  let markGen = 0;
  const closure = (n0: number, f: number): Int32Array => {
    const key = n0 * 64 + f;
    let c = closures[key];
    if (c !== undefined) return c;
    const leaves: number[] = [];
    const stack = [n0];
    markGen++;
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (mark[n] === markGen) continue;
      mark[n] = markGen;
      switch (op[n]) {
        case OP_SPLIT:
          stack.push(out1[n], out[n]);
          break;
        case OP_ASSERT:
          if (f & asrt[n]) stack.push(out[n]);
          break;
        case OP_BYTES:
        case OP_MATCH:
          leaves.push(n);
          break;
      }
    }
    c = Int32Array.from(leaves);
    closures[key] = c;
    return c;
  };

  // Move of a Bytes node on a construction class: target * 4 + tag, or -1. A node's edges are disjoint
  // byte ranges, so there is at most one move per class.
  const moveTab: (Int32Array | undefined)[] = new Array(N);
  const moveOf = (n: number, x: number): number => {
    let t = moveTab[n];
    if (!t) {
      t = new Int32Array(C).fill(-1);
      for (const e of nodes[n].edges) {
        for (let c = 0; c < C; c++) if (reps[c] >= e.lo && reps[c] <= e.hi) t[c] = e.to * 4 + e.tag;
      }
      moveTab[n] = t;
    }
    return t[x];
  };

  // Byte values where any state's behaviour may change whatever its threads: UTF-8 structure (for the
  // U+FFFD checks) and the word / newline distinctions assertions and contexts need.
  const fixedCut = new Uint8Array(257);
  for (const c of [0, 256, 0x80, 0x90, 0xa0, 0xc0, 0xc2, 0xe0, 0xe1, 0xed, 0xee, 0xf0, 0xf1, 0xf4, 0xf5]) fixedCut[c] = 1;
  // The part of it assertions need (what domination must look at besides the threads' edges).
  const flagCut = new Uint8Array(257);
  if (needWord) for (const c of [0x30, 0x3a, 0x41, 0x5b, 0x5f, 0x60, 0x61, 0x7b]) flagCut[c] = 1;
  if (needNL || needEndNL) flagCut[0x0a] = flagCut[0x0b] = 1;
  for (let c = 0; c < 257; c++) fixedCut[c] |= flagCut[c];
  // The distinct assertion sets a byte input can produce after each context.
  const byteFlags: number[][] = [0, 1, 2, 3].map((ctx) => [...new Set(Array.from({ length: C }, (_, x) => flags[ctx * I + x]))]);
  const cutMark = new Int32Array(257);
  let cutGen = 0;
  // Edge boundaries of the Bytes nodes in a closure.
  const cutCache: (Int32Array | undefined)[] = new Array(N * 64);
  const leafCuts = (node: number, f: number): Int32Array => {
    const key = node * 64 + f;
    let c = cutCache[key];
    if (c !== undefined) return c;
    const list: number[] = [];
    const leaves = closure(node, f);
    for (let i = 0; i < leaves.length; i++) {
      if (op[leaves[i]] !== OP_BYTES) continue;
      for (const e of nodes[leaves[i]].edges) list.push(e.lo, e.hi + 1);
    }
    c = Int32Array.from(list);
    cutCache[key] = c;
    return c;
  };

  // ---- Domination: may a thread at b be dropped because a higher-priority thread at a exists? ----
  // Yes if, in every future, a reaches Match no later than b does (then b's match is always cut, or in
  // Mode.Any never needed). Decided as a greatest fixpoint over the pairs the question reaches, with the
  // same assertion context and the same pending check for both threads. The work is bounded (per
  // question and per DFA); past the bound the answer is "no", which only costs states, never correctness.
  const domMemo = new Map<number, boolean>();
  const pairKey = (ctx: number, a: number, b: number) => (ctx * N + a) * N + b;
  const matchCache = new Int8Array(N * 64); // 0 unknown, 1 no, 2 yes
  const closureHasMatch = (n: number, f: number): boolean => {
    const key = n * 64 + f;
    let m = matchCache[key];
    if (m === 0) {
      m = 1;
      const c = closure(n, f);
      for (let i = 0; i < c.length; i++) if (op[c[i]] === OP_MATCH) m = 2;
      matchCache[key] = m;
    }
    return m === 2;
  };
  let domBudget = MAX_DOMINATION_WORK;
  const movesA = new Int32Array(N + 1);
  const movesB = new Int32Array(N + 1);
  const stepInto = (out: Int32Array, leaves: Int32Array, x: number): number => {
    let n = 0;
    for (let i = 0; i < leaves.length; i++) {
      if (op[leaves[i]] !== OP_BYTES) continue;
      const m = moveOf(leaves[i], x);
      if (m >= 0) out[n++] = m;
    }
    return n;
  };
  const domCut = new Int32Array(257);
  let domGen = 0;
  const dominates = (ctx: number, a: number, b: number): boolean => {
    const root = pairKey(ctx, a, b);
    const known = domMemo.get(root);
    if (known !== undefined) return known;
    if (domBudget <= 0) return false;
    const index = new Map<number, number>([[root, 0]]);
    const keys: number[] = [root];
    const reqs: (number[][] | null)[] = []; // null: false outright; else every list needs one true pair
    for (let i = 0; i < keys.length; i++) {
      if (i >= MAX_PAIRS || --domBudget <= 0) {
        domMemo.set(root, false);
        return false;
      }
      const k = keys[i];
      const pb = k % N;
      const pa = Math.floor(k / N) % N;
      const pc = Math.floor(k / N / N);
      const list: number[][] = [];
      let ok = true;
      // Only classes where an edge of either thread (or an assertion's view) changes need a look.
      domGen++;
      for (const f of byteFlags[pc]) {
        const ca = leafCuts(pa, f);
        for (let j = 0; j < ca.length; j++) domCut[ca[j]] = domGen;
        const cb = leafCuts(pb, f);
        for (let j = 0; j < cb.length; j++) domCut[cb[j]] = domGen;
      }
      for (let x = 0; x < I && ok; x++) {
        if (x > 0 && x < C && domCut[bounds[x]] !== domGen && !flagCut[bounds[x]]) continue;
        const f = flags[pc * I + x];
        if (closureHasMatch(pa, f)) continue;
        if (closureHasMatch(pb, f)) {
          ok = false;
          break;
        }
        if (x >= C) continue;
        const na = stepInto(movesA, closure(pa, f), x);
        const nb = stepInto(movesB, closure(pb, f), x);
        const nctx = ctxAfter[x];
        for (let j = 0; j < nb && ok; j++) {
          const t2 = movesB[j] >> 2;
          const tag = movesB[j] & 3;
          let cand: number[] | undefined;
          let sat = false;
          for (let q = 0; q < na; q++) {
            if ((movesA[q] & 3) !== tag) continue;
            const t1 = movesA[q] >> 2;
            if (t1 === t2) {
              sat = true;
              break;
            }
            const ck = pairKey(nctx, t1, t2);
            const m = domMemo.get(ck);
            if (m === true) {
              sat = true;
              break;
            }
            if (m === false) continue;
            (cand ??= []).push(ck);
          }
          if (sat) continue;
          if (!cand) {
            ok = false;
            break;
          }
          list.push(cand);
          for (const ck of cand) {
            if (!index.has(ck)) {
              index.set(ck, keys.length);
              keys.push(ck);
            }
          }
        }
      }
      reqs.push(ok ? list : null);
    }
    // Greatest fixpoint: start from "all true", falsify pairs whose requirement lost its last candidate.
    const n = keys.length;
    const val = reqs.map((r) => r !== null);
    const left: number[][] = reqs.map((r) => (r ? r.map((c) => c.length) : []));
    const users: number[][] = keys.map(() => []); // pair -> [pair, requirement, ...] that list it
    reqs.forEach((r, i) => r?.forEach((cand, k) => cand.forEach((ck) => users[index.get(ck)!].push(i, k))));
    const queue: number[] = [];
    for (let i = 0; i < n; i++) if (!val[i]) queue.push(i);
    while (queue.length > 0) {
      const j = queue.pop()!;
      const u = users[j];
      for (let q = 0; q < u.length; q += 2) {
        const i = u[q];
        if (val[i] && --left[i][u[q + 1]] === 0) {
          val[i] = false;
          queue.push(i);
        }
      }
    }
    for (let i = 0; i < n; i++) domMemo.set(keys[i], val[i]);
    return val[0];
  };

  // ---- States ----
  const pendStep = reverse ? revStep : fwdStep;
  const waitStep = reverse ? revMatchStep : fwdStep;
  const stCtx: number[] = [];
  const stDelay: number[] = [];
  const stEntries: Int32Array[] = [];
  const table = new Map<number, number[]>(); // hash -> state ids
  const trans: Int32Array[] = [];
  const eots: Uint8Array[] = [];

  const hashOf = (ctx: number, delay: number, e: ArrayLike<number>): number => {
    let h = (ctx * 7 + delay * 131) | 0;
    for (let i = 0; i < e.length; i++) h = Math.imul(h ^ e[i], 0x9e3779b1) ^ (h >>> 15);
    return h;
  };
  const intern = (ctx: number, delay: number, e: number[]): number => {
    if (e.length === 0 && delay === 0) ctx = CTX_OTHER; // one dead state
    const h = hashOf(ctx, delay, e);
    let bucket = table.get(h);
    if (bucket) {
      outer: for (const id of bucket) {
        const se = stEntries[id];
        if (stCtx[id] !== ctx || stDelay[id] !== delay || se.length !== e.length) continue;
        for (let i = 0; i < e.length; i++) if (se[i] !== e[i]) continue outer;
        return id;
      }
    } else table.set(h, (bucket = []));
    if (stCtx.length >= maxStates) throw tooLarge(maxStates);
    const id = stCtx.length;
    stCtx.push(ctx);
    stDelay.push(delay);
    stEntries.push(Int32Array.from(e));
    bucket.push(id);
    return id;
  };

  const dead = intern(CTX_OTHER, 0, []);
  const match = mode === Mode.Any ? intern(CTX_OTHER, 1, []) : -1;

  let work = 0; // threads stepped so far: construction time is bounded, not just the state count
  const seenLeaf = new Int32Array(N * SHIFT);
  const seenOut = new Int32Array(N * SHIFT);
  let gen = 0;
  let outList: number[] = [];
  const negSeen: number[] = []; // tentative matches are few: a list is enough
  let delay = 0;
  let matched = false;

  // Records a confirmed match `d` bytes back; true means stop here (the rest has lower priority).
  const confirm = (d: number): boolean => {
    if (mode === Mode.Longest) {
      delay = matched ? Math.min(delay, d) : d;
      matched = true;
      return false;
    }
    matched = true;
    delay = d;
    return true;
  };
  const addOut = (e: number) => {
    if (e < 0) {
      if (!negSeen.includes(e)) {
        negSeen.push(e);
        outList.push(e);
      }
    } else if (seenOut[e] !== gen) {
      seenOut[e] = gen;
      outList.push(e);
    }
  };

  /** One transition on input x (a byte class, or C + EOT_*). Fills outList, delay, matched. */
  const step = (entries: Int32Array, ctx: number, x: number): void => {
    work += entries.length + 1;
    if (work > MAX_WORK) throw tooMuchWork();
    gen++;
    outList = [];
    negSeen.length = 0;
    delay = 0;
    matched = false;
    const atEnd = x >= C;
    const b = atEnd ? -1 : reps[x];
    const f = flags[ctx * I + x];
    const base = atEnd ? 0 : 1; // at the end of the scan, distances count from the end itself
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e < 0) {
        const v = -e - 1;
        const k = Math.floor(v / SHIFT);
        const r = atEnd ? PASS : waitStep(v % SHIFT, b);
        if (r === REFUTE) continue;
        if (r === PASS) {
          if (confirm(k + base)) return;
          continue;
        }
        addOut(-(1 + (k + 1) * SHIFT + r));
        continue;
      }
      const p = e % SHIFT;
      const r = atEnd ? PASS : pendStep(p, b);
      if (r === REFUTE) continue;
      const p1 = r; // PASS is 0: nothing pending after b
      const leaves = closure(Math.floor(e / SHIFT), f);
      for (let j = 0; j < leaves.length; j++) {
        const n = leaves[j];
        const vk = n * SHIFT + p1;
        if (seenLeaf[vk] === gen) continue;
        seenLeaf[vk] = gen;
        if (op[n] === OP_MATCH) {
          if (p1 === 0) {
            if (confirm(base)) return;
          } else addOut(-(1 + SHIFT + (reverse ? revMatchInit(p, b) : p1)));
          continue;
        }
        if (atEnd) continue;
        const m = moveOf(n, x);
        if (m < 0) continue;
        const tag = m & 3;
        let np: number;
        if (!reverse) np = tag === TAG_LONE_LEAD ? fwdInit(b) : p1;
        else if (tag === TAG_LONE_CONT) np = p !== 0 ? p1 : revInit(b);
        else np = 0;
        addOut((m >> 2) * SHIFT + np);
      }
    }
  };

  /**
   * Drops threads dominated by a higher-priority (Mode.First) or any other (Mode.Any) thread. Each thread
   * is compared with a few kept ones only (the first and the latest), so long lists stay linear.
   */
  const prune = (list: number[], ctx: number): number[] => {
    if (mode === Mode.Longest || list.length < 2) return list;
    const kept: number[] = [];
    const beats = (k: number, e: number) =>
      k >= 0 && e >= 0 && k % SHIFT === e % SHIFT && dominates(ctx, Math.floor(k / SHIFT), Math.floor(e / SHIFT));
    for (const e of list) {
      if (e >= 0) {
        let drop = false;
        const n = kept.length;
        for (let i = 0; i < n && !drop; i++) {
          if (i >= PRUNE_WINDOW && i < n - PRUNE_WINDOW) i = n - PRUNE_WINDOW;
          work++;
          drop = beats(kept[i], e);
        }
        if (drop) continue;
        if (mode === Mode.Any) {
          for (let i = kept.length - 1; i >= 0 && i >= kept.length - PRUNE_WINDOW; i--) {
            work++;
            if (beats(e, kept[i])) kept.splice(i, 1);
          }
        }
      }
      kept.push(e);
    }
    return kept;
  };

  const starts: number[] = [];
  for (let c = 0; c < 4; c++) starts.push(intern(collapse(c), 0, [nfa.start * SHIFT]));

  for (let id = 0; id < stCtx.length; id++) {
    const row = new Int32Array(C);
    const eot = new Uint8Array(4);
    if (id === dead || id === match) {
      row.fill(id);
      if (id === match) eot.fill(1);
    } else {
      const entries = stEntries[id];
      const ctx = stCtx[id];
      // Classes this state's threads cannot tell apart get one step: mark where behaviour may change.
      cutGen++;
      for (let i = 0; i < entries.length; i++) {
        if (entries[i] < 0) continue;
        const node = Math.floor(entries[i] / SHIFT);
        for (const f of byteFlags[ctx]) {
          const cuts = leafCuts(node, f);
          for (let j = 0; j < cuts.length; j++) cutMark[cuts[j]] = cutGen;
        }
      }
      let x = 0;
      while (x < C) {
        let y = x + 1;
        while (y < C && cutMark[bounds[y]] !== cutGen && !fixedCut[bounds[y]]) y++;
        step(entries, ctx, x);
        let target: number;
        if (mode === Mode.Any && matched) target = match;
        else {
          let list = outList;
          if (mode === Mode.Any) list.sort((p, q) => p - q);
          list = prune(list, ctxAfter[x]);
          target = intern(ctxAfter[x], matched ? delay : 0, list);
        }
        row.fill(target, x, y);
        x = y;
      }
      for (let k = 0; k < 4; k++) {
        step(entries, ctx, C + k);
        eot[k] = matched ? (mode === Mode.Any ? 1 : delay + 1) : 0;
      }
    }
    trans.push(row);
    eots.push(eot);
  }

  const n = stCtx.length;
  const classOf = new Uint8Array(256);
  for (let c = 0; c < C; c++) classOf.fill(c, bounds[c], bounds[c + 1]);
  const next = new Int32Array(n * C);
  const eot = new Uint8Array(n * 4);
  const delays = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    next.set(trans[i], i * C);
    eot.set(eots[i], i * 4);
    delays[i] = stDelay[i];
  }
  lastWork = work;
  return { numStates: n, numClasses: C, classOf, next, eot, delay: delays, start: starts, dead };
}

/** Thread steps the last buildDfa took (for measurements). */
export let lastWork = 0;
