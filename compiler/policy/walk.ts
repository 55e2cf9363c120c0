// The table-driven validator: walks a YAML tree against the field table (fields.ts), reports every problem
// with its position, and returns the checked values with their positions.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";
import { DOCUMENT, V1ALPHA3_FIELDS, fieldPaths, type Issue, type ListSpec, type MapSpec, type ObjectSpec, type Requirement, type Severity, type Spec, type StringSpec } from "./fields.ts";
import { suggest } from "./suggest.ts";
import type { Located, PolicyDiagnostic, SourcePos, UsedFeature } from "./types.ts";
import { goTrim } from "./values.ts";

// ---- a position-carrying YAML tree (aliases and merge keys resolved) -------------------------------------

export type YNode =
  // `broken`: an alias that could not be resolved, already reported; the walker skips it.
  | { kind: "scalar"; pos: SourcePos; value: unknown; quoted: boolean; source: string; broken?: true }
  | { kind: "seq"; pos: SourcePos; items: YNode[] }
  | { kind: "map"; pos: SourcePos; entries: YEntry[] };
export interface YEntry {
  key: string;
  keyPos: SourcePos;
  value: YNode;
}

type Report = (severity: Severity, pos: SourcePos, path: string, message: string, hint?: string) => void;

export function toTree(node: unknown, doc: Document, lc: LineCounter, report: Report, fallback: SourcePos, active = new Set<unknown>()): YNode {
  const posOf = (n: { range?: [number, number, number] | null }) => (n.range ? lc.linePos(n.range[0]) : fallback);
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target || active.has(target)) {
      report("error", posOf(node), "", `alias *${node.source} cannot be resolved here`, "define the anchor before use, and do not nest an anchor inside itself");
      return { kind: "scalar", pos: posOf(node), value: null, quoted: false, source: "", broken: true };
    }
    return toTree(target, doc, lc, report, posOf(node), active);
  }
  if (isScalar(node)) {
    const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
    return { kind: "scalar", pos: posOf(node), value: node.value, quoted, source: node.source ?? String(node.value) };
  }
  if (!isSeq(node) && !isMap(node)) return { kind: "scalar", pos: fallback, value: null, quoted: false, source: "" };
  active.add(node);
  const pos = posOf(node);
  try {
    if (isSeq(node)) return { kind: "seq", pos, items: node.items.map((it) => toTree(it, doc, lc, report, pos, active)) };
    const entries: YEntry[] = [];
    const merged: YEntry[] = [];
    for (const pair of node.items) {
      const k = pair.key;
      if (!isScalar(k)) {
        report("error", isMap(k) || isSeq(k) ? posOf(k) : pos, "", "a mapping key must be a plain string", "write the key as a word followed by a colon");
        continue;
      }
      const keyPos = posOf(k);
      const value = pair.value === null ? ({ kind: "scalar", pos: keyPos, value: null, quoted: false, source: "" } as YNode) : toTree(pair.value, doc, lc, report, keyPos, active);
      if (typeof k.value === "symbol") {
        // `<<: *anchor` (YAML merge key, which aip-go's yaml.v3 supports): explicit keys win, then earlier sources.
        const sources = value.kind === "seq" ? value.items : [value];
        for (const src of sources) {
          if (src.kind !== "map") {
            report("error", src.pos, "", "a merge key (<<) needs a mapping or a list of mappings", "merge an anchored mapping: <<: *defaults");
            continue;
          }
          merged.push(...src.entries);
        }
        continue;
      }
      entries.push({ key: typeof k.value === "string" ? k.value : (k.source ?? String(k.value)), keyPos, value });
    }
    for (const m of merged) if (!entries.some((e) => e.key === m.key)) entries.push(m);
    return { kind: "map", pos, entries };
  } finally {
    active.delete(node);
  }
}

// ---- checked values ------------------------------------------------------------------------------------

export type Scalar = Located<string | boolean | number>;
export class CList {
  constructor(
    readonly pos: SourcePos,
    readonly items: Checked[],
  ) {}
}
export class CObject {
  constructor(
    readonly pos: SourcePos,
    readonly fields: Map<string, { keyPos: SourcePos; value: Checked }>,
  ) {}
  get<T extends Checked>(key: string): T | undefined {
    return this.fields.get(key)?.value as T | undefined;
  }
}
export type Checked = Scalar | CList | CObject;

// YAML 1.1 booleans that aip-go's yaml.v3 accepts for a bool field (YAML 1.2 reads them as strings).
const YAML11_BOOLS: Record<string, boolean> = Object.fromEntries([
  ...["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"].map((s) => [s, true]),
  ...["n", "N", "no", "No", "NO", "off", "Off", "OFF"].map((s) => [s, false]),
]);

/** Where each field name is defined, for "belongs under ..." hints. */
const FIELD_HOMES = new Map<string, string[]>();
for (const { path } of fieldPaths()) {
  const name = path.slice(path.lastIndexOf(".") + 1);
  FIELD_HOMES.set(name, [...(FIELD_HOMES.get(name) ?? []), path]);
}

export function joinPath(path: string, key: string): string {
  const k = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${k}` : k;
}
const lastKey = (path: string) => path.slice(path.lastIndexOf(".") + 1).replace(/\[\d+\]$/, "");

function describe(n: YNode): string {
  if (n.kind === "seq") return "a list";
  if (n.kind === "map") return "a mapping";
  if (n.value === null) return "an empty value";
  if (typeof n.value === "string") return `the string ${JSON.stringify(n.value)}`;
  return `the ${typeof n.value === "boolean" ? "boolean" : "number"} ${n.source}`;
}

const EXPECTED: Record<Spec["type"], string> = {
  string: "a string",
  boolean: "true or false",
  integer: "a whole number",
  list: "a list",
  object: "a mapping",
  map: "a mapping",
};

export class Walker {
  readonly diagnostics: PolicyDiagnostic[] = [];
  readonly features: UsedFeature[] = [];

  constructor(
    readonly file: string,
    readonly version: "v1alpha1" | "v1alpha2",
  ) {}

  report: Report = (severity, pos, path, message, hint) => {
    this.diagnostics.push({ file: this.file, line: pos.line, col: pos.col, path, message, ...(hint ? { hint } : {}), severity });
  };

  private issue(i: Issue, pos: SourcePos, path: string): void {
    this.report(i.severity, pos, path, i.message, i.hint);
  }

  walk(node: YNode, spec: Spec, path: string): Checked | undefined {
    if (node.kind === "scalar" && node.broken) return undefined;
    switch (spec.type) {
      case "string":
        return this.string(node, spec, path);
      case "boolean":
        return this.boolean(node, path);
      case "integer":
        if (node.kind === "scalar" && typeof node.value === "number" && Number.isInteger(node.value)) {
          if (node.value >= spec.minimum) return { value: node.value, pos: node.pos };
          this.report("error", node.pos, path, `${node.value} is too small`, `use a whole number of at least ${spec.minimum}`);
          return undefined;
        }
        return this.typeError(node, spec, path);
      case "list":
        return this.list(node, spec, path);
      case "object":
        return this.object(node, spec, path);
      case "map":
        return this.map(node, spec, path);
    }
  }

  private typeError(node: YNode, spec: Spec, path: string): undefined {
    const key = lastKey(path);
    let hint: string | undefined;
    if (node.kind === "scalar" && spec.type === "string" && node.value !== null) hint = `quote it: ${key}: "${node.source}"`;
    else if (node.kind === "scalar" && spec.type === "boolean" && node.quoted && /^(true|false)$/i.test(String(node.value)))
      hint = `remove the quotes: ${key}: ${String(node.value).toLowerCase()}`;
    else if (node.kind === "scalar" && spec.type === "list" && node.value !== null) hint = `write a list: ${key}: [${node.source}], or one "- item" per line`;
    else if (node.kind === "seq" && (spec.type === "object" || spec.type === "map")) hint = `write "name: value" lines under ${key}, without "-"`;
    else if (node.kind === "map" && spec.type === "list") hint = `start each entry of ${key} with "- "`;
    else if (node.kind === "scalar" && (spec.type === "object" || spec.type === "map")) hint = `indent the fields of ${key} on the lines below it`;
    this.report("error", node.pos, path, `expected ${EXPECTED[spec.type]}, found ${describe(node)}`, hint);
    return undefined;
  }

  private string(node: YNode, spec: StringSpec, path: string): Scalar | undefined {
    if (node.kind !== "scalar" || typeof node.value !== "string") return this.typeError(node, spec, path);
    let s = node.value;
    if (s === "") {
      const severity = spec.empty ?? "error";
      this.report(severity, node.pos, path, severity === "warning" ? "empty value; treated as not set" : "value must not be empty", severity === "warning" ? "remove the key to use the default" : spec.example ? `e.g. ${spec.example}` : undefined);
      return undefined;
    }
    if (spec.check) {
      const i = spec.check(s);
      if (i) {
        this.issue(i, node.pos, path);
        if (i.severity === "error") return undefined;
      }
    }
    if (spec.enum && !spec.enum.includes(s)) {
      const folded = goTrim(s).toLowerCase();
      if (spec.foldCase && spec.enum.includes(folded)) {
        this.report("warning", node.pos, path, `${JSON.stringify(s)} is read as "${folded}"`, `write it in lower case without spaces: ${lastKey(path)}: ${folded}`);
        s = folded;
      } else if (spec.foldCase && folded === "") {
        this.report("warning", node.pos, path, "empty value; treated as not set", "remove the key to use the default");
        return undefined;
      } else {
        const near = suggest(s, spec.enum);
        const hint = `${near ? `did you mean "${near}"? ` : ""}valid values: ${spec.enum.join(", ")}`;
        this.report("error", node.pos, path, `${JSON.stringify(s)} is not a valid ${lastKey(path)}`, hint);
        return undefined;
      }
    }
    if (spec.pattern && !spec.pattern.re.test(s)) {
      this.issue(spec.pattern, node.pos, path);
      if (spec.pattern.severity === "error") return undefined;
    }
    if (spec.maxLength && s.length > spec.maxLength.n) this.issue(spec.maxLength, node.pos, path);
    return { value: s, pos: node.pos };
  }

  private boolean(node: YNode, path: string): Scalar | undefined {
    if (node.kind === "scalar" && typeof node.value === "boolean") return { value: node.value, pos: node.pos };
    if (node.kind === "scalar" && typeof node.value === "string" && node.value in YAML11_BOOLS) {
      const b = YAML11_BOOLS[node.value];
      this.report("warning", node.pos, path, `"${node.value}" is a YAML 1.1 boolean, read as ${b}`, `write ${lastKey(path)}: ${b}`);
      return { value: b, pos: node.pos };
    }
    return this.typeError(node, { type: "boolean", doc: "" }, path);
  }

  private list(node: YNode, spec: ListSpec, path: string): CList | undefined {
    if (node.kind !== "seq") return this.typeError(node, spec, path);
    const items: Checked[] = [];
    const seen = new Map<unknown, SourcePos>();
    node.items.forEach((item, i) => {
      const p = `${path}[${i}]`;
      if (item.kind === "scalar" && item.value === null && !item.broken) {
        this.report("error", item.pos, p, "empty list entry", "remove the empty \"-\" line or give it a value");
        return;
      }
      const c = this.walk(item, spec.items, p);
      if (c === undefined) return;
      if (spec.unique && !(c instanceof CList || c instanceof CObject)) {
        const first = seen.get(c.value);
        if (first) this.report("warning", c.pos, p, `duplicate entry ${JSON.stringify(c.value)} (also at line ${first.line})`, "remove one of them");
        else seen.set(c.value, c.pos);
      }
      items.push(c);
    });
    if (spec.minItems && node.items.length < spec.minItems.n) this.issue(spec.minItems, node.pos, path);
    return new CList(node.pos, items);
  }

  private map(node: YNode, spec: MapSpec, path: string): CObject | undefined {
    if (node.kind !== "map") return this.typeError(node, spec, path);
    const fields = new Map<string, { keyPos: SourcePos; value: Checked }>();
    for (const e of node.entries) {
      const p = joinPath(path, e.key);
      if (e.key === "") {
        this.report("error", e.keyPos, p, "empty argument name", "name the argument the tool receives, e.g. path");
        continue;
      }
      if (e.value.kind === "scalar" && e.value.value === null && !e.value.broken) {
        this.report("error", e.value.pos, p, `no regex for argument "${e.key}"`, `give a pattern, e.g. ${e.key}: "^/workspace/"; use ".*" to only require the argument`);
        continue;
      }
      const c = this.walk(e.value, spec.values, p);
      if (c !== undefined) fields.set(e.key, { keyPos: e.keyPos, value: c });
    }
    return new CObject(node.pos, fields);
  }

  private object(node: YNode, spec: ObjectSpec, path: string): CObject | undefined {
    if (node.kind !== "map") return this.typeError(node, spec, path);
    const fields = new Map<string, { keyPos: SourcePos; value: Checked }>();
    for (const e of node.entries) {
      const p = joinPath(path, e.key);
      const field = spec.fields[e.key];
      if (!field) {
        this.unknownField(e, spec, path, p);
        continue;
      }
      if (field.since === "v1alpha2") {
        if (this.version === "v1alpha1")
          this.report("error", e.keyPos, p, "a v1alpha2 field in a v1alpha1 policy", "set apiVersion: aip.io/v1alpha2 to use it");
        else this.features.push({ path: p, pos: e.keyPos });
      }
      if (e.value.kind === "scalar" && e.value.value === null && !e.value.broken) {
        if (field.required) this.report(field.required, e.keyPos, p, `${e.key} has no value`, field.example ? `e.g. ${field.example}` : undefined);
        else this.report("warning", e.keyPos, p, "empty value; treated as not set", "remove the key, or give it a value");
        continue;
      }
      const c = this.walk(e.value, field, p);
      if (c !== undefined) fields.set(e.key, { keyPos: e.keyPos, value: c });
    }
    for (const [key, field] of Object.entries(spec.fields)) {
      if (field.required && !node.entries.some((e) => e.key === key)) {
        const where = path ? `${path} ` : "the policy ";
        this.report(field.required, node.pos, joinPath(path, key), `${where}has no ${key}`, field.example ? `add ${field.example}` : undefined);
      }
    }
    const obj = new CObject(node.pos, fields);
    for (const r of spec.requirements ?? []) this.requirement(obj, r, path);
    return obj;
  }

  private unknownField(e: YEntry, spec: ObjectSpec, parentPath: string, p: string): void {
    const generic = p.replace(/\[\d+\]/g, "[]");
    if (V1ALPHA3_FIELDS.has(generic)) {
      this.report("error", e.keyPos, p, "a v1alpha3 field, which toolgate does not support yet", "remove it; toolgate reads aip.io/v1alpha1 and aip.io/v1alpha2 policies");
      return;
    }
    const known = Object.keys(spec.fields);
    const near = suggest(e.key, known);
    // A field that exists elsewhere, e.g. allowed_tools written under metadata (not `enabled`, which is everywhere).
    const homes = FIELD_HOMES.get(e.key)?.filter((h) => h !== generic);
    const hint = near
      ? `did you mean ${near}?`
      : homes?.length && homes.length <= 2
        ? `${e.key} belongs at ${homes.join(" or ")}, not under ${parentPath || "the top level"}`
        : `valid fields here: ${known.join(", ")}`;
    this.report("error", e.keyPos, p, "unknown field", hint);
  }

  private requirement(obj: CObject, r: Requirement, path: string): void {
    let at: SourcePos | undefined;
    for (const [key, cond] of Object.entries(r.when)) {
      const entry = obj.fields.get(key);
      const v = entry?.value;
      const scalar = v !== undefined && !(v instanceof CList || v instanceof CObject) ? v.value : undefined;
      const holds =
        "present" in cond ? v !== undefined
        : "const" in cond ? scalar === cond.const
        : "in" in cond ? typeof scalar === "string" && cond.in.includes(scalar)
        : typeof scalar === "string" && !cond.notPattern.test(scalar);
      if (!holds) return;
      at ??= entry?.keyPos;
    }
    const missing = r.require.filter((req) => {
      let cur: Checked | undefined = obj;
      for (const part of req.split(".")) cur = cur instanceof CObject ? cur.get(part) : undefined;
      return cur === undefined;
    });
    if (missing.length > 0) this.issue(r, at ?? obj.pos, `${path}.${missing[0]}`);
  }
}

/** The walker for the whole document. */
export function walkDocument(tree: YNode, file: string, version: "v1alpha1" | "v1alpha2"): { walker: Walker; root: CObject | undefined } {
  const walker = new Walker(file, version);
  if (tree.kind !== "map") {
    walker.report("error", tree.pos, "", `a policy must be a mapping, found ${describe(tree)}`, "start the file with apiVersion:, kind:, metadata: and spec: lines");
    return { walker, root: undefined };
  }
  return { walker, root: walker.walk(tree, DOCUMENT, "") as CObject | undefined };
}
