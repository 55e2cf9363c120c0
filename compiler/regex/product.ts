// The any-of DFA as the product of per-pattern any-match DFAs: a product state is the tuple of the
// components' states; it matches as soon as one component does. Building it from small minimized
// components is much cheaper than determinizing the union of the NFAs directly.

import { type Dfa, tooLarge } from "./dfa.ts";

// Most component steps one product may take (a second or so), whatever the state limit.
const MAX_WORK = 40_000_000;

/** Components must be Mode.Any DFAs: a single absorbing match state, the only one with delay > 0. */
export function product(parts: Dfa[], maxStates: number): Dfa {
  const k = parts.length;
  const matchOf = parts.map((d) => d.delay.findIndex((x) => x > 0));

  // Byte classes of the product: bytes no component tells apart.
  const classOf = new Uint8Array(256);
  const reps: number[] = [];
  {
    const seen = new Map<string, number>();
    for (let b = 0; b < 256; b++) {
      const key = parts.map((d) => d.classOf[b]).join(",");
      let c = seen.get(key);
      if (c === undefined) {
        seen.set(key, (c = seen.size));
        reps.push(b);
      }
      classOf[b] = c;
    }
  }
  const C = reps.length;
  const partClass = parts.map((d) => reps.map((b) => d.classOf[b]));

  // Tuples live in one growing Int32Array; an open-addressing table maps them to state ids.
  let store = new Int32Array(1024 * k);
  let count = 0;
  let slots = new Int32Array(1 << 12).fill(-1);
  const hashAt = (a: Int32Array, o: number): number => {
    let h = 0x811c9dc5;
    for (let i = 0; i < k; i++) h = Math.imul(h ^ a[o + i], 0x01000193);
    return h >>> 0;
  };
  const grow = () => {
    slots = new Int32Array(slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < count; id++) {
      let h = hashAt(store, id * k) & mask;
      while (slots[h] >= 0) h = (h + 1) & mask;
      slots[h] = id;
    }
  };
  const intern = (t: Int32Array): number => {
    const mask = slots.length - 1;
    let h = hashAt(t, 0) & mask;
    for (;;) {
      const id = slots[h];
      if (id < 0) break;
      let same = true;
      for (let i = 0, o = id * k; i < k; i++) {
        if (store[o + i] !== t[i]) {
          same = false;
          break;
        }
      }
      if (same) return id;
      h = (h + 1) & mask;
    }
    if (count >= maxStates) throw tooLarge(maxStates);
    if ((count + 1) * k > store.length) {
      const bigger = new Int32Array(store.length * 2);
      bigger.set(store);
      store = bigger;
    }
    store.set(t, count * k);
    slots[h] = count;
    if (++count * 2 > slots.length) grow();
    return count - 1;
  };

  const dead = intern(Int32Array.from(parts, (d) => d.dead));
  const match = intern(Int32Array.from(matchOf));
  const start = [0, 1, 2, 3].map((ctx) => intern(Int32Array.from(parts, (d) => d.start[ctx])));
  let next = new Int32Array(64 * C);
  const eotList: number[] = [];
  const t = new Int32Array(k);
  // All components' tables in one array, re-indexed by product class: component i, state s, class c is
  // at base[i] + s * C + c.
  const base = new Int32Array(k);
  let size = 0;
  parts.forEach((d, i) => {
    base[i] = size;
    size += d.numStates * C;
  });
  const tab = new Int32Array(size);
  parts.forEach((d, i) => {
    for (let s = 0; s < d.numStates; s++) {
      for (let c = 0; c < C; c++) tab[base[i] + s * C + c] = d.next[s * d.numClasses + partClass[i][c]];
    }
  });
  const matchAt = Int32Array.from(matchOf);
  let work = 0;
  for (let id = 0; id < count; id++) {
    work += C * k;
    if (work > MAX_WORK) throw tooLarge(maxStates);
    if ((id + 1) * C > next.length) {
      const bigger = new Int32Array(next.length * 2);
      bigger.set(next);
      next = bigger;
    }
    if (id === dead || id === match) {
      next.fill(id, id * C, id * C + C);
      for (let e = 0; e < 4; e++) eotList.push(id === match ? 1 : 0);
      continue;
    }
    const o = id * k;
    for (let c = 0; c < C; c++) {
      let hit = false;
      for (let i = 0; i < k; i++) {
        const s = tab[base[i] + store[o + i] * C + c];
        if (s === matchAt[i]) hit = true;
        t[i] = s;
      }
      next[id * C + c] = hit ? match : intern(t);
    }
    for (let e = 0; e < 4; e++) {
      let hit = 0;
      for (let i = 0; i < k; i++) if (parts[i].eot[store[o + i] * 4 + e]) hit = 1;
      eotList.push(hit);
    }
  }
  const delay = new Uint8Array(count);
  delay[match] = 1;
  return {
    numStates: count,
    numClasses: C,
    classOf,
    next: next.slice(0, count * C),
    eot: Uint8Array.from(eotList),
    delay,
    start,
    dead,
  };
}
