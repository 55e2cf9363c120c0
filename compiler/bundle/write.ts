// Policy IR -> bundle bytes. Everything the engine needs is decided here, once: names normalized (by the
// engine's own normalization, so there is one), regexes compiled to DFAs, paths expanded and cleaned,
// lookups turned into hash tables. Layout: docs/bundle-format.md.

import { createHash } from "node:crypto";
import { posix } from "node:path";
import {
  MAGIC, FORMAT_VERSION, HEADER_SIZE, SECTION_ENTRY, Section, CONFIG_SIZE, RULE_SIZE, ARG_SIZE, PATH_SIZE, DLP_HEADER,
  DLP_ENTRY, DLP_GROUP, DLP_GROUP_ENTRY, DLP_PIECES, SLOT_SIZE, EMPTY, ConfigFlag, ToolFlag, ActionCode, PathKind, DEFAULT_METHODS, DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_DEPTH, fnv1a,
} from "./format.ts";
import type { Located, Policy, PolicyDiagnostic } from "../policy/types.ts";
import { compileRegex, compileForward, compileAnyOf, compileLiterals, compileDlpPieces, RegexError } from "../regex/index.ts";

const enc = new TextEncoder();

export interface BundleOptions {
  /** The engine's name normalization. */
  normalize: (name: string) => string;
  /** Home directory for `~` in protected paths (default: the compiling user's). */
  home: string;
  /** Directory that relative protected paths are resolved against (default: the current directory). */
  cwd: string;
  /** Absolute path of the policy file: protected automatically, as in aip-go. */
  policyPath?: string;
  maxMessageBytes?: number;
  maxDepth?: number;
}

export interface CompiledBundle {
  bytes: Uint8Array;
  /** SHA-256 of the bundle content, hex: travels with every decision. */
  hash: string;
  stats: { tools: number; rules: number; regexes: number; dfaStates: number; bytes: number };
}

/** Bytes pool (section DATA): strings and DFA blobs, each DFA 8-byte aligned. */
class Pool {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private strings = new Map<string, [number, number]>();

  add(bytes: Uint8Array, align = 1): [number, number] {
    const pad = (align - (this.size % align)) % align;
    if (pad) this.push(new Uint8Array(pad));
    const off = this.size;
    this.push(bytes);
    return [off, bytes.length];
  }

  str(s: string): [number, number] {
    let ref = this.strings.get(s);
    if (!ref) {
      ref = this.add(enc.encode(s));
      this.strings.set(s, ref);
    }
    return ref;
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function hashTable(pool: Pool, entries: Map<string, number>): Uint8Array {
  let cap = 8;
  while (cap < entries.size * 2) cap <<= 1;
  const out = new Uint8Array(8 + cap * SLOT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, cap, true);
  v.setUint32(4, entries.size, true);
  for (let i = 0; i < cap; i++) v.setUint32(8 + i * SLOT_SIZE + 4, EMPTY, true);
  for (const [key, value] of entries) {
    const bytes = enc.encode(key);
    const h = fnv1a(bytes);
    let i = h & (cap - 1);
    while (v.getUint32(8 + i * SLOT_SIZE + 4, true) !== EMPTY) i = (i + 1) & (cap - 1);
    const [off, len] = pool.str(key);
    const s = 8 + i * SLOT_SIZE;
    v.setUint32(s, h, true);
    v.setUint32(s + 4, off, true);
    v.setUint32(s + 8, len, true);
    v.setUint32(s + 12, value, true);
  }
  return out;
}

function records(count: number, size: number, fill: (v: DataView, at: number, i: number) => void): Uint8Array {
  const out = new Uint8Array(count * size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < count; i++) fill(v, i * size, i);
  return out;
}

/** `~` expansion and cleaning of a protected path entry, as aip-go does it (filepath.Abs from the cwd). */
export function canonicalPath(raw: string, home: string, cwd: string): string {
  let p = raw.trim();
  if (p === "~") p = home;
  else if (p.startsWith("~/")) p = home + p.slice(1);
  return posix.resolve(cwd, p);
}

/** Other spellings of a path under the home directory that a shell would expand to it. */
function homeSpellings(canonical: string, home: string): string[] {
  const h = home.replace(/\/+$/, "");
  if (!h || !canonical.startsWith(h + "/")) return [];
  const rest = canonical.slice(h.length + 1);
  return [`~/${rest}`, `$HOME/${rest}`, `\${HOME}/${rest}`];
}

export class BundleCompileError extends Error {
  constructor(public readonly diagnostics: PolicyDiagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: error: ${d.path}: ${d.message}`).join("\n"));
    this.name = "BundleCompileError";
  }
}

export function writeBundle(policy: Policy, opts: BundleOptions): CompiledBundle {
  const problems: PolicyDiagnostic[] = [];
  const problem = (at: Located | { pos: { line: number; col: number } }, path: string, message: string, hint?: string) =>
    problems.push({ file: policy.file, line: at.pos.line, col: at.pos.col, path, message, hint, severity: "error" });

  for (const f of policy.v1alpha2Features) {
    problem(f, f.path, "is a v1alpha2 feature that toolgate does not support yet", "remove it, or run a toolgate version that supports it");
  }
  if (policy.metadata.signature) {
    problem(policy.metadata.signature, "metadata.signature", "policy signatures are not supported yet", "remove the signature");
  }

  const pool = new Pool();
  let dfaStates = 0;
  // A policy often repeats a regex (the same check on many tools): each is compiled once.
  const compiled = new Map<string, { forward: Uint8Array; reverse: Uint8Array | null; states: number }>();
  const regex = (src: Located, path: string, reverse = true): { forward: Uint8Array; reverse: Uint8Array | null } | null => {
    try {
      const key = (reverse ? "r" : "f") + src.value;
      let r = compiled.get(key);
      if (!r) compiled.set(key, (r = reverse ? compileRegex(src.value) : { ...compileForward(src.value), reverse: null }));
      dfaStates += r.states;
      return r;
    } catch (e) {
      if (!(e instanceof RegexError)) throw e;
      problem(src, path, `invalid regex ${JSON.stringify(src.value)}: ${e.message} (at offset ${e.offset})`, e.hint);
      return null;
    }
  };

  // Methods.
  const allowedMethods = new Map<string, number>();
  let allMethods = false;
  (policy.allowedMethods?.map((m) => m.value) ?? DEFAULT_METHODS).forEach((m, i) => {
    if (m.trim() === "*") allMethods = true;
    else allowedMethods.set(opts.normalize(m), i);
  });
  const deniedMethods = new Map<string, number>();
  policy.deniedMethods.forEach((m, i) => deniedMethods.set(opts.normalize(m.value), i));

  // Tools and rules.
  const tools = new Map<string, number>();
  const flag = (name: string, f: number) => {
    const n = opts.normalize(name);
    tools.set(n, (tools.get(n) ?? 0) | f);
    return n;
  };
  for (const t of policy.allowedTools) flag(t.value, ToolFlag.ALLOWED);
  for (const t of policy.deniedTools) flag(t.value, ToolFlag.DENIED);

  interface Arg { name: [number, number]; dfa: [number, number] }
  const args: Arg[] = [];
  const rules = policy.toolRules.map((r, i) => {
    const n = flag(r.tool.value, ToolFlag.ALLOWED);
    tools.set(n, (tools.get(n)! & 0xff) | ((i + 1) << 8));
    const first = args.length;
    r.allowArgs.forEach((a) => {
      const dfa = regex(a.regex, `spec.tool_rules[${i}].allow_args.${a.name.value}`, false);
      args.push({ name: pool.str(a.name.value), dfa: dfa ? pool.add(dfa.forward, 8) : [0, 0] });
    });
    return {
      action: ActionCode[r.action],
      strict: r.strictArgs === null ? 0 : r.strictArgs ? 2 : 1,
      rate: r.rateLimit,
      first,
      count: r.allowArgs.length,
      label: pool.str(`tool_rules[${i}]`),
    };
  });

  // Protected paths, and the DFA that gates the engine's path checks (docs/bundle-format.md).
  const paths: { ref: [number, number]; kind: number; index: number }[] = [];
  const bases: string[] = [];
  const protect = (raw: string, index: number) => {
    const canonical = canonicalPath(raw, opts.home, opts.cwd);
    paths.push({ ref: pool.str(canonical), kind: PathKind.CANONICAL, index });
    bases.push(posix.basename(canonical));
    for (const s of homeSpellings(canonical, opts.home)) {
      paths.push({ ref: pool.str(s), kind: PathKind.SPELLING, index });
    }
  };
  policy.protectedPaths.forEach((p, i) => {
    if (p.value.trim()) protect(p.value, i);
  });
  if (opts.policyPath) protect(opts.policyPath, 0xffff);
  const literalSet = (words: string[]): [number, number] | null => {
    if (words.length === 0) return null;
    return pool.add(compileLiterals([...new Set(words)]), 8);
  };
  // The engine's gate: any protected base name. Every spelling of a path ends with its base name, so a value
  // without one hits nothing. A base name that is part of the home or working directory can appear through
  // expansion alone: then there is no gate.
  const gateable = bases.every((b) => b !== "" && !opts.home.includes(b) && !opts.cwd.includes(b));
  const basesAny = gateable ? literalSet(bases) : null;
  const pathsAny: [number, number] | null = null;

  // DLP.
  const dlp = policy.dlp?.enabled ? policy.dlp : null;
  const patterns = (dlp?.patterns ?? []).map((p, i) => {
    const r = regex(p.regex, `spec.dlp.patterns[${i}].regex`);
    return { name: pool.str(p.name.value), fwd: r ? pool.add(r.forward, 8) : [0, 0], rev: r ? pool.add(r.reverse!, 8) : [0, 0] };
  });
  // Prefilters: one combined DFA per group of consecutive patterns answers "could any of these match?" in one
  // pass. Small groups keep the product DFAs small and quick to build (a combined DFA of many patterns with
  // counted repetitions grows multiplicatively); a group that cannot be combined runs its patterns one by one.
  // Piece-wise redaction (docs/dlp.md, "Cost"): separator bytes and a relaxed prefilter that finds the pieces
  // that may hold a match. With both, the engine needs no group prefilters for more than one group.
  let pieces: { separators: Uint8Array; prefilter: [number, number] | null } = { separators: new Uint8Array(32), prefilter: null };
  if (patterns.length > 0 && problems.length === 0) {
    const p = compileDlpPieces(dlp!.patterns.map((x) => x.regex.value));
    pieces = { separators: p.separators, prefilter: p.prefilter ? pool.add(p.prefilter, 8) : null };
  }
  const piecewise = pieces.prefilter !== null && pieces.separators.some((b) => b !== 0);
  const groups: { first: number; count: number; dfa: [number, number] | null }[] = [];
  if (patterns.length > 1 && problems.length === 0 && !(piecewise && patterns.length > DLP_GROUP)) {
    for (let first = 0; first < patterns.length; first += DLP_GROUP) {
      const members = dlp!.patterns.slice(first, first + DLP_GROUP);
      let dfa: [number, number] | null = null;
      try {
        if (members.length > 1) dfa = pool.add(compileAnyOf(members.map((p) => p.regex.value)), 8);
      } catch (e) {
        if (!(e instanceof RegexError)) throw e;
      }
      groups.push({ first, count: members.length, dfa });
    }
  }
  // With one group its DFA covers every pattern: the engine also uses it for decoded base64/hex text.
  const anyOf = groups.length === 1 ? groups[0].dfa : null;

  if (problems.length) throw new BundleCompileError(problems);

  // Config.
  let flags = 0;
  if (policy.strictArgsDefault) flags |= ConfigFlag.STRICT_DEFAULT;
  if (policy.mode === "monitor") flags |= ConfigFlag.MONITOR;
  if (allMethods) flags |= ConfigFlag.ALL_METHODS;
  if (dlp && patterns.length) flags |= ConfigFlag.DLP;
  if (dlp?.filterStderr) flags |= ConfigFlag.DLP_STDERR;
  if (dlp?.detectEncoding) flags |= ConfigFlag.DETECT_ENCODING;
  const config = new Uint8Array(CONFIG_SIZE);
  const cv = new DataView(config.buffer);
  cv.setUint32(4, flags, true);
  cv.setUint32(8, opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, true);
  cv.setUint32(12, opts.maxDepth ?? DEFAULT_MAX_DEPTH, true);
  const refs: [number, number][] = [
    pool.str(policy.metadata.name), pool.str(policy.apiVersion), pool.str(opts.home.replace(/\/+$/, "")), pool.str(opts.cwd),
  ];
  refs.forEach(([off, len], i) => {
    cv.setUint32(16 + i * 8, off, true);
    cv.setUint32(20 + i * 8, len, true);
  });
  [pathsAny, basesAny].forEach((ref, i) => {
    cv.setUint32(48 + i * 8, ref ? ref[0] : EMPTY, true);
    cv.setUint32(52 + i * 8, ref ? ref[1] : 0, true);
  });

  const sections: [number, Uint8Array][] = [
    [Section.CONFIG, config],
    [Section.METHODS_ALLOWED, hashTable(pool, allowedMethods)],
    [Section.METHODS_DENIED, hashTable(pool, deniedMethods)],
    [Section.TOOLS, hashTable(pool, tools)],
    [Section.RULES, records(rules.length, RULE_SIZE, (v, at, i) => {
      const r = rules[i];
      v.setUint32(at, r.action, true);
      v.setUint32(at + 4, r.strict, true);
      v.setUint32(at + 8, r.rate?.count ?? 0, true);
      v.setUint32(at + 12, r.rate?.periodMs ?? 0, true);
      v.setUint32(at + 16, r.first, true);
      v.setUint32(at + 20, r.count, true);
      v.setUint32(at + 24, r.label[0], true);
      v.setUint32(at + 28, r.label[1], true);
    })],
    [Section.ARGS, records(args.length, ARG_SIZE, (v, at, i) => {
      v.setUint32(at, args[i].name[0], true);
      v.setUint32(at + 4, args[i].name[1], true);
      v.setUint32(at + 8, args[i].dfa[0], true);
      v.setUint32(at + 12, args[i].dfa[1], true);
    })],
    [Section.PATHS, records(paths.length, PATH_SIZE, (v, at, i) => {
      v.setUint32(at, paths[i].ref[0], true);
      v.setUint32(at + 4, paths[i].ref[1], true);
      v.setUint32(at + 8, paths[i].kind, true);
      v.setUint32(at + 12, paths[i].index, true);
    })],
  ];
  const groupsAt = DLP_HEADER + patterns.length * DLP_ENTRY;
  const piecesAt = groupsAt + groups.length * DLP_GROUP_ENTRY;
  const dlpSection = new Uint8Array(piecesAt + DLP_PIECES);
  const dv = new DataView(dlpSection.buffer);
  dv.setUint32(0, patterns.length, true);
  dv.setUint32(4, anyOf ? anyOf[0] : EMPTY, true);
  dv.setUint32(8, anyOf ? anyOf[1] : 0, true);
  dv.setUint32(12, groups.length, true);
  patterns.forEach((p, i) => {
    const at = DLP_HEADER + i * DLP_ENTRY;
    [p.name[0], p.name[1], p.fwd[0], p.fwd[1], p.rev[0], p.rev[1]].forEach((x, j) => dv.setUint32(at + j * 4, x, true));
  });
  groups.forEach((g, i) => {
    const at = groupsAt + i * DLP_GROUP_ENTRY;
    [g.first, g.count, g.dfa ? g.dfa[0] : EMPTY, g.dfa ? g.dfa[1] : 0].forEach((x, j) => dv.setUint32(at + j * 4, x, true));
  });
  dlpSection.set(pieces.separators, piecesAt);
  dv.setUint32(piecesAt + 32, pieces.prefilter ? pieces.prefilter[0] : EMPTY, true);
  dv.setUint32(piecesAt + 36, pieces.prefilter ? pieces.prefilter[1] : 0, true);
  sections.push([Section.DLP, dlpSection]);
  sections.push([Section.DATA, pool.bytes()]); // last: the other sections add strings to the pool

  // Layout: header, section table, sections (8-byte aligned).
  let at = HEADER_SIZE + sections.length * SECTION_ENTRY;
  const placed = sections.map(([id, body]) => {
    at = (at + 7) & ~7;
    const off = at;
    at += body.length;
    return { id, off, body };
  });
  const total = (at + 7) & ~7;
  const out = new Uint8Array(total);
  const hv = new DataView(out.buffer);
  hv.setUint32(0, MAGIC, true);
  hv.setUint16(4, FORMAT_VERSION, true);
  hv.setUint32(8, total, true);
  hv.setUint32(12, placed.length, true);
  placed.forEach(({ id, off, body }, i) => {
    const e = HEADER_SIZE + i * SECTION_ENTRY;
    hv.setUint32(e, id, true);
    hv.setUint32(e + 4, off, true);
    hv.setUint32(e + 8, body.length, true);
    out.set(body, off);
  });
  const digest = createHash("sha256").update(out.subarray(HEADER_SIZE)).digest();
  out.set(digest, 16);
  return {
    bytes: out,
    hash: digest.toString("hex"),
    stats: { tools: tools.size, rules: rules.length, regexes: args.length + patterns.length, dfaStates, bytes: total },
  };
}
