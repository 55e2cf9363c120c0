// u32 id -> usize value maps over heap memory: context ids to their state, HTTP call tokens to the stream that
// made the call. Open addressing with backward-shift deletion (no tombstones); no managed objects, because
// the filter runs with the engine's minimal runtime and never collects garbage.

const SLOT: usize = 16; // u32 id (0 = empty), u32 pad, usize value

@unmanaged
export class IdMap {
  slots: usize;
  capacity: u32;
  count: u32;
}

export function idMapNew(): IdMap {
  const m = changetype<IdMap>(heap.alloc(offsetof<IdMap>()));
  m.slots = 0;
  m.capacity = 0;
  m.count = 0;
  return m;
}

@inline
function home(id: u32, mask: u32): u32 {
  return (id * 0x9e3779b1) & mask;
}

function grow(m: IdMap): void {
  const oldSlots = m.slots;
  const oldCap = m.capacity;
  m.capacity = oldCap == 0 ? 64 : oldCap << 1;
  m.slots = heap.alloc(<usize>m.capacity * SLOT);
  memory.fill(m.slots, 0, <usize>m.capacity * SLOT);
  m.count = 0;
  for (let i: u32 = 0; i < oldCap; i++) {
    const s = oldSlots + <usize>i * SLOT;
    if (load<u32>(s) != 0) idMapPut(m, load<u32>(s), load<usize>(s, 8));
  }
  if (oldSlots != 0) heap.free(oldSlots);
}

/** id must not be 0. */
export function idMapPut(m: IdMap, id: u32, value: usize): void {
  if ((m.count + 1) * 2 > m.capacity) grow(m);
  const mask = m.capacity - 1;
  let i = home(id, mask);
  while (true) {
    const s = m.slots + <usize>i * SLOT;
    const k = load<u32>(s);
    if (k == 0 || k == id) {
      if (k == 0) m.count++;
      store<u32>(s, id);
      store<usize>(s, value, 8);
      return;
    }
    i = (i + 1) & mask;
  }
}

/** The value stored for id, or 0. */
export function idMapGet(m: IdMap, id: u32): usize {
  if (m.capacity == 0 || id == 0) return 0;
  const mask = m.capacity - 1;
  let i = home(id, mask);
  while (true) {
    const s = m.slots + <usize>i * SLOT;
    const k = load<u32>(s);
    if (k == id) return load<usize>(s, 8);
    if (k == 0) return 0;
    i = (i + 1) & mask;
  }
}

export function idMapRemove(m: IdMap, id: u32): void {
  if (m.capacity == 0 || id == 0) return;
  const mask = m.capacity - 1;
  let i = home(id, mask);
  while (true) {
    const k = load<u32>(m.slots + <usize>i * SLOT);
    if (k == 0) return;
    if (k == id) break;
    i = (i + 1) & mask;
  }
  // Shift later members of the probe chain back into the hole, unless their home lies cyclically in (hole, j].
  let hole = i;
  let j = (i + 1) & mask;
  while (true) {
    const s = m.slots + <usize>j * SLOT;
    const k = load<u32>(s);
    if (k == 0) break;
    const h = home(k, mask);
    const stays = hole <= j ? h > hole && h <= j : h > hole || h <= j;
    if (!stays) {
      const d = m.slots + <usize>hole * SLOT;
      store<u32>(d, k);
      store<usize>(d, load<usize>(s, 8), 8);
      hole = j;
    }
    j = (j + 1) & mask;
  }
  store<u32>(m.slots + <usize>hole * SLOT, 0);
  store<usize>(m.slots + <usize>hole * SLOT, 0, 8);
  m.count--;
}
