// A policy given on the command line: YAML (compiled now) or a compiled bundle (.tgb), told apart by content.
import { readFileSync } from "node:fs";
import { compilePolicy, type CompileOptions } from "../../compiler/index.ts";
import { MAGIC } from "../../compiler/bundle/format.ts";

export interface LoadedPolicy {
  bytes: Uint8Array;
  hash: string | null;
  fromYaml: boolean;
  warnings: string[];
}

export function isBundle(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === MAGIC;
}

export function loadPolicySource(path: string, opts: CompileOptions = {}): LoadedPolicy {
  const raw = readFileSync(path);
  if (isBundle(raw)) return { bytes: new Uint8Array(raw), hash: null, fromYaml: false, warnings: [] };
  const r = compilePolicy(raw.toString("utf8"), path, opts);
  return {
    bytes: r.bytes,
    hash: r.hash,
    fromYaml: true,
    warnings: r.warnings.map((w) => `${w.file}:${w.line}:${w.col}: warning: ${w.path ? w.path + ": " : ""}${w.message}${w.hint ? `\n  hint: ${w.hint}` : ""}`),
  };
}
