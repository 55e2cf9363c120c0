// DFA minimization (Hopcroft's partition refinement), then merging of byte classes whose columns became
// identical. States that can never match again end up in the dead state's block.

import type { Dfa } from "./dfa.ts";

export function minimize(d: Dfa): Dfa {
  const n = d.numStates;
  const k = d.numClasses;

  // Inverse transitions per class, as CSR: sources of t on class c are inv[invAt[c*(n+1)+t] .. +1).
  const invAt = new Int32Array(k * (n + 1) + 1);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) invAt[c * (n + 1) + d.next[s * k + c] + 1]++;
  for (let i = 1; i < invAt.length; i++) invAt[i] += invAt[i - 1];
  const fill = invAt.slice();
  const inv = new Int32Array(n * k);
  for (let s = 0; s < n; s++) for (let c = 0; c < k; c++) inv[fill[c * (n + 1) + d.next[s * k + c]]++] = s;

  // Partition: elems is a permutation of the states, each block a contiguous slice of it.
  const elems = new Int32Array(n);
  const loc = new Int32Array(n);
  const blockOf = new Int32Array(n);
  const start: number[] = [];
  const end: number[] = [];
  const marked: number[] = []; // per block: elements marked so far (they sit at its front)
  {
    const sig = new Map<string, number[]>();
    for (let s = 0; s < n; s++) {
      const key = `${d.delay[s]}|${d.eot[s * 4]},${d.eot[s * 4 + 1]},${d.eot[s * 4 + 2]},${d.eot[s * 4 + 3]}`;
      let g = sig.get(key);
      if (!g) sig.set(key, (g = []));
      g.push(s);
    }
    let at = 0;
    for (const g of sig.values()) {
      const b = start.length;
      start.push(at);
      for (const s of g) {
        elems[at] = s;
        loc[s] = at++;
        blockOf[s] = b;
      }
      end.push(at);
      marked.push(0);
    }
  }
  const work: number[] = [];
  const inWork: boolean[] = [];
  for (let b = 0; b < start.length; b++) {
    work.push(b);
    inWork.push(true);
  }
  const touched: number[] = [];
  while (work.length > 0) {
    const a = work.pop()!;
    inWork[a] = false;
    const splitter = elems.slice(start[a], end[a]);
    for (let c = 0; c < k; c++) {
      const row = c * (n + 1);
      for (const t of splitter) {
        for (let i = invAt[row + t]; i < invAt[row + t + 1]; i++) {
          const s = inv[i];
          const b = blockOf[s];
          const m = start[b] + marked[b];
          if (loc[s] < m) continue; // already marked
          if (marked[b] === 0) touched.push(b);
          // Swap s to the marked front of its block.
          const other = elems[m];
          elems[m] = s;
          elems[loc[s]] = other;
          loc[other] = loc[s];
          loc[s] = m;
          marked[b]++;
        }
      }
      for (const b of touched) {
        const m = marked[b];
        marked[b] = 0;
        if (m === end[b] - start[b]) continue;
        // Split: the marked front becomes a new block.
        const z = start.length;
        start.push(start[b]);
        end.push(start[b] + m);
        marked.push(0);
        start[b] += m;
        for (let i = start[z]; i < end[z]; i++) blockOf[elems[i]] = z;
        if (inWork[b] || m <= end[b] - start[b]) {
          work.push(z);
          inWork.push(true);
        } else {
          work.push(b);
          inWork[b] = true;
          inWork.push(false);
        }
      }
      touched.length = 0;
    }
  }

  const count = start.length;
  const rep = new Int32Array(count);
  for (let b = 0; b < count; b++) rep[b] = elems[start[b]];
  // Byte classes with identical columns merge.
  const colOf = new Map<string, number>();
  const newOfOld: number[] = [];
  const oldOfNew: number[] = [];
  for (let c = 0; c < k; c++) {
    const col = new Int32Array(count);
    for (let b = 0; b < count; b++) col[b] = blockOf[d.next[rep[b] * k + c]];
    const key = col.join(",");
    let nc = colOf.get(key);
    if (nc === undefined) {
      colOf.set(key, (nc = colOf.size));
      oldOfNew.push(c);
    }
    newOfOld.push(nc);
  }
  const C = colOf.size;
  const next = new Int32Array(count * C);
  const eot = new Uint8Array(count * 4);
  const delay = new Uint8Array(count);
  for (let b = 0; b < count; b++) {
    const s = rep[b];
    for (let c = 0; c < C; c++) next[b * C + c] = blockOf[d.next[s * k + oldOfNew[c]]];
    eot.set(d.eot.subarray(s * 4, s * 4 + 4), b * 4);
    delay[b] = d.delay[s];
  }
  const classOf = new Uint8Array(256);
  for (let x = 0; x < 256; x++) classOf[x] = newOfOld[d.classOf[x]];
  return { numStates: count, numClasses: C, classOf, next, eot, delay, start: d.start.map((s) => blockOf[s]), dead: blockOf[d.dead] };
}
