// The active policy bundle: validated as a whole on load, then swapped in atomically. Layout: docs/bundle-format.md.
// After validation every offset inside the bundle is known to be in bounds, so readers need no checks.

import { sha256 } from "./sha256";
import { dfaValidate } from "./dfa";
import { setMaxDepth } from "./json";

export const MAGIC: u32 = 0x31424754; // "TGB1"
export const FORMAT_VERSION: u32 = 1;
export const HEADER_SIZE: u32 = 64;

export const SEC_DATA: u32 = 1;
export const SEC_CONFIG: u32 = 2;
export const SEC_METHODS_ALLOWED: u32 = 3;
export const SEC_METHODS_DENIED: u32 = 4;
export const SEC_TOOLS: u32 = 5;
export const SEC_RULES: u32 = 6;
export const SEC_ARGS: u32 = 7;
export const SEC_PATHS: u32 = 8;
export const SEC_DLP: u32 = 9;
const SECTION_IDS: u32 = 10;

export const CONFIG_SIZE: u32 = 64;
export const RULE_SIZE: u32 = 32;
export const ARG_SIZE: u32 = 16;
export const PATH_SIZE: u32 = 16;
export const DLP_HEADER: u32 = 16;
export const DLP_ENTRY: u32 = 24;
export const DLP_GROUP_ENTRY: u32 = 16;
export const DLP_PIECES: u32 = 40; // separator bitmap (32 bytes), ref of the piece prefilter (an any-of DFA)
export const SLOT_SIZE: u32 = 16;
export const EMPTY: u32 = 0xffffffff;

// Config flags
export const CF_STRICT_DEFAULT: u32 = 1;
export const CF_MONITOR: u32 = 2;
export const CF_ALL_METHODS: u32 = 4; // "*" in allowed_methods
export const CF_DLP: u32 = 8;
export const CF_DLP_STDERR: u32 = 16;
export const CF_DETECT_ENCODING: u32 = 32;

// Load results (0 is success).
export const LOAD_OK: i32 = 0;
export const LOAD_BAD_MAGIC: i32 = 1;
export const LOAD_BAD_VERSION: i32 = 2;
export const LOAD_TRUNCATED: i32 = 3;
export const LOAD_BAD_SECTION: i32 = 4;
export const LOAD_BAD_HASH: i32 = 5;
export const LOAD_BAD_DFA: i32 = 6;
export const LOAD_BAD_TABLE: i32 = 7;

// The active bundle (0 when none is loaded: every message is then refused).
export let base: usize = 0;
export let hash: usize = 0; // 32 bytes
export let data: usize = 0;
export let dataLen: u32 = 0;
export let config: usize = 0;
export let methodsAllowed: usize = 0;
export let methodsDenied: usize = 0;
export let tools: usize = 0;
export let rules: usize = 0;
export let ruleCount: u32 = 0;
export let args: usize = 0;
export let argCount: u32 = 0;
export let paths: usize = 0;
export let pathCount: u32 = 0;
export let dlp: usize = 0;
export let dlpSeparators: usize = 0; // 256-bit map, or 0 when the bundle has none
export let dlpPieces: usize = 0; // the piece prefilter DFA, or 0
export let rateState: usize = 0; // per rule: f64 tokens, f64 last refill (ms)

export let loadedVersion: u32 = 0; // counts successful loads

const sections = memory.data(<i32>SECTION_IDS * 8); // staging: offset, length per id
const digest = memory.data(32);

@inline
function r32(p: usize, off: usize): u32 {
  return load<u32>(p + off);
}

function refOk(off: u32, len: u32, dl: u32): bool {
  return off <= dl && len <= dl - off;
}

function tableOk(p: usize, len: u32, dl: u32): bool {
  if (len < 8) return false;
  const cap = r32(p, 0);
  if (cap == 0 || (cap & (cap - 1)) != 0 || <u64>cap * SLOT_SIZE + 8 > <u64>len) return false;
  let empty: u32 = 0; // at least one empty slot, or a lookup of an absent name would never end
  for (let i: u32 = 0; i < cap; i++) {
    const s = p + 8 + i * SLOT_SIZE;
    if (r32(s, 4) == EMPTY) empty++;
    else if (!refOk(r32(s, 4), r32(s, 8), dl)) return false;
  }
  return empty > 0;
}

/** Validate the bundle at [p, p+len) completely; on success make a copy of it the active bundle. */
export function loadBundle(p: usize, len: u32): i32 {
  if (len < HEADER_SIZE || r32(p, 0) != MAGIC) return LOAD_BAD_MAGIC;
  if ((r32(p, 4) & 0xffff) != FORMAT_VERSION) return LOAD_BAD_VERSION;
  const total = r32(p, 8);
  if (total > len || total < HEADER_SIZE) return LOAD_TRUNCATED;
  const n = r32(p, 12);
  if (<u64>HEADER_SIZE + <u64>n * 16 > <u64>total) return LOAD_TRUNCATED;
  sha256(p + HEADER_SIZE, total - HEADER_SIZE, digest);
  if (memory.compare(digest, p + 16, 32) != 0) return LOAD_BAD_HASH;

  memory.fill(sections, 0xff, SECTION_IDS * 8);
  for (let i: u32 = 0; i < n; i++) {
    const e = p + HEADER_SIZE + i * 16;
    const id = r32(e, 0), off = r32(e, 4), l = r32(e, 8);
    if (id == 0 || id >= SECTION_IDS || (off & 7) != 0 || off < HEADER_SIZE || !refOk(off, l, total)) return LOAD_BAD_SECTION;
    if (r32(sections + id * 8, 0) != EMPTY) return LOAD_BAD_SECTION; // duplicate section
    store<u32>(sections + id * 8, off);
    store<u32>(sections + id * 8, l, 4);
  }
  for (let id: u32 = 1; id < SECTION_IDS; id++) if (r32(sections + id * 8, 0) == EMPTY) return LOAD_BAD_SECTION;

  // Work on a private copy so the host may reuse its buffer; offsets below are relative to the copy.
  const copy = heap.alloc(total);
  memory.copy(copy, p, total);
  const status = check(copy);
  if (status != LOAD_OK) {
    heap.free(copy);
    return status;
  }
  activate(copy);
  return LOAD_OK;
}

@inline
function sec(id: u32): usize {
  return <usize>r32(sections + id * 8, 0);
}

@inline
function secLen(id: u32): u32 {
  return r32(sections + id * 8, 4);
}

function check(b: usize): i32 {
  const dl = secLen(SEC_DATA);
  const d = b + sec(SEC_DATA);
  if (secLen(SEC_CONFIG) < CONFIG_SIZE) return LOAD_BAD_SECTION;
  const c = b + sec(SEC_CONFIG);
  for (let o: usize = 16; o < 48; o += 8) if (!refOk(r32(c, o), r32(c, o + 4), dl)) return LOAD_BAD_TABLE;
  for (let o: usize = 48; o < 64; o += 8) {
    if (r32(c, o) != EMPTY && !dfaRefOk(d, r32(c, o), r32(c, o + 4), dl)) return LOAD_BAD_DFA;
  }
  if (!tableOk(b + sec(SEC_METHODS_ALLOWED), secLen(SEC_METHODS_ALLOWED), dl)) return LOAD_BAD_TABLE;
  if (!tableOk(b + sec(SEC_METHODS_DENIED), secLen(SEC_METHODS_DENIED), dl)) return LOAD_BAD_TABLE;
  if (!tableOk(b + sec(SEC_TOOLS), secLen(SEC_TOOLS), dl)) return LOAD_BAD_TABLE;

  const nr = secLen(SEC_RULES) / RULE_SIZE;
  const na = secLen(SEC_ARGS) / ARG_SIZE;
  const tp = b + sec(SEC_TOOLS);
  const cap = r32(tp, 0);
  for (let i: u32 = 0; i < cap; i++) {
    const s = tp + 8 + i * SLOT_SIZE;
    if (r32(s, 4) != EMPTY && (r32(s, 12) >> 8) > nr) return LOAD_BAD_TABLE;
  }
  for (let i: u32 = 0; i < nr; i++) {
    const r = b + sec(SEC_RULES) + i * RULE_SIZE;
    if (r32(r, 0) > 2 || r32(r, 4) > 2) return LOAD_BAD_TABLE;
    if (r32(r, 8) > 0 && r32(r, 12) == 0) return LOAD_BAD_TABLE;
    if (<u64>r32(r, 16) + <u64>r32(r, 20) > <u64>na) return LOAD_BAD_TABLE;
    if (!refOk(r32(r, 24), r32(r, 28), dl)) return LOAD_BAD_TABLE;
  }
  for (let i: u32 = 0; i < na; i++) {
    const a = b + sec(SEC_ARGS) + i * ARG_SIZE;
    if (!refOk(r32(a, 0), r32(a, 4), dl) || !dfaRefOk(d, r32(a, 8), r32(a, 12), dl)) return LOAD_BAD_DFA;
  }
  const np = secLen(SEC_PATHS) / PATH_SIZE;
  for (let i: u32 = 0; i < np; i++) {
    const e = b + sec(SEC_PATHS) + i * PATH_SIZE;
    if (!refOk(r32(e, 0), r32(e, 4), dl) || r32(e, 4) == 0) return LOAD_BAD_TABLE;
  }
  if (secLen(SEC_DLP) < DLP_HEADER) return LOAD_BAD_SECTION;
  const dp = b + sec(SEC_DLP);
  const nd = r32(dp, 0);
  if (<u64>DLP_HEADER + <u64>nd * DLP_ENTRY > <u64>secLen(SEC_DLP)) return LOAD_BAD_SECTION;
  if (r32(dp, 4) != EMPTY && !dfaRefOk(d, r32(dp, 4), r32(dp, 8), dl)) return LOAD_BAD_DFA;
  for (let i: u32 = 0; i < nd; i++) {
    const e = dp + DLP_HEADER + i * DLP_ENTRY;
    if (!refOk(r32(e, 0), r32(e, 4), dl)) return LOAD_BAD_TABLE;
    if (!dfaRefOk(d, r32(e, 8), r32(e, 12), dl) || !dfaRefOk(d, r32(e, 16), r32(e, 20), dl)) return LOAD_BAD_DFA;
  }
  // Prefilter groups: consecutive pattern ranges in order, each with a DFA or EMPTY.
  const ng = r32(dp, 12);
  const groupsAt = <u64>DLP_HEADER + <u64>nd * DLP_ENTRY;
  if (groupsAt + <u64>ng * DLP_GROUP_ENTRY > <u64>secLen(SEC_DLP)) return LOAD_BAD_SECTION;
  let next: u32 = 0;
  for (let i: u32 = 0; i < ng; i++) {
    const g = dp + <usize>groupsAt + i * DLP_GROUP_ENTRY;
    if (r32(g, 0) != next || r32(g, 4) == 0 || <u64>r32(g, 0) + <u64>r32(g, 4) > <u64>nd) return LOAD_BAD_TABLE;
    next += r32(g, 4);
    if (r32(g, 8) != EMPTY && !dfaRefOk(d, r32(g, 8), r32(g, 12), dl)) return LOAD_BAD_DFA;
  }
  if (ng > 0 && next != nd) return LOAD_BAD_TABLE;
  // Optional (bundles written before it lack it): separators and the piece prefilter, an any-of DFA.
  const piecesAt = groupsAt + <u64>ng * DLP_GROUP_ENTRY;
  if (piecesAt + <u64>DLP_PIECES <= <u64>secLen(SEC_DLP)) {
    const pp = dp + <usize>piecesAt;
    const off = r32(pp, 32);
    if (off != EMPTY && (!dfaRefOk(d, off, r32(pp, 36), dl) || load<u16>(d + off, 6) != 2)) return LOAD_BAD_DFA;
  }
  return LOAD_OK;
}

function dfaRefOk(d: usize, off: u32, len: u32, dl: u32): bool {
  return (off & 7) == 0 && refOk(off, len, dl) && dfaValidate(d + off, len);
}

function activate(b: usize): void {
  const old = base;
  const oldRate = rateState;
  base = b;
  hash = b + 16;
  data = b + sec(SEC_DATA);
  dataLen = secLen(SEC_DATA);
  config = b + sec(SEC_CONFIG);
  methodsAllowed = b + sec(SEC_METHODS_ALLOWED);
  methodsDenied = b + sec(SEC_METHODS_DENIED);
  tools = b + sec(SEC_TOOLS);
  rules = b + sec(SEC_RULES);
  ruleCount = secLen(SEC_RULES) / RULE_SIZE;
  args = b + sec(SEC_ARGS);
  argCount = secLen(SEC_ARGS) / ARG_SIZE;
  paths = b + sec(SEC_PATHS);
  pathCount = secLen(SEC_PATHS) / PATH_SIZE;
  dlp = b + sec(SEC_DLP);
  dlpSeparators = 0;
  dlpPieces = 0;
  const piecesAt = DLP_HEADER + load<u32>(dlp) * DLP_ENTRY + load<u32>(dlp, 12) * DLP_GROUP_ENTRY;
  if (piecesAt + DLP_PIECES <= secLen(SEC_DLP)) {
    dlpSeparators = dlp + piecesAt;
    const off = load<u32>(dlpSeparators, 32);
    if (off != EMPTY) dlpPieces = data + off;
  }
  // Token buckets start full (NaN marks "never used").
  rateState = heap.alloc(<usize>ruleCount * 16 + 16);
  for (let i: u32 = 0; i < ruleCount; i++) {
    store<f64>(rateState + i * 16, NaN);
    store<f64>(rateState + i * 16 + 8, 0);
  }
  setMaxDepth(<i32>load<u32>(config + 12));
  loadedVersion++;
  if (old != 0) heap.free(old);
  if (oldRate != 0) heap.free(oldRate);
}

// ---- Readers ----

export function cfg(off: usize): u32 {
  return load<u32>(config + off);
}

export function hasFlag(f: u32): bool {
  return (cfg(4) & f) != 0;
}

/** FNV-1a, the hash of the bundle's name tables. */
export function fnv1a(p: usize, n: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < n; i++) h = (h ^ <u32>load<u8>(p + i)) * 0x01000193;
  return h;
}

/** Look a name up in one of the bundle's hash tables; returns the slot value or EMPTY. */
export function lookup(table: usize, p: usize, n: usize): u32 {
  const h = fnv1a(p, n);
  const mask = load<u32>(table) - 1;
  let i = h & mask;
  while (true) {
    const s = table + 8 + <usize>i * SLOT_SIZE;
    const off = load<u32>(s, 4);
    if (off == EMPTY) return EMPTY;
    if (load<u32>(s) == h && load<u32>(s, 8) == <u32>n && memory.compare(data + off, p, n) == 0) return load<u32>(s, 12);
    i = (i + 1) & mask;
  }
}
