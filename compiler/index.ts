// The compiler pipeline, visible in one place:  YAML text --parse--> Policy IR --write--> bundle bytes.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { parsePolicy, type PolicyDiagnostic } from "./policy/index.ts";
import { writeBundle, type CompiledBundle } from "./bundle/write.ts";
import type { Policy } from "./policy/types.ts";
import { newEngine } from "../hosts/kit/node.ts";
import type { Engine } from "../hosts/kit/engine.ts";

export { PolicyError, formatDiagnostic } from "./policy/index.ts";
export { BundleCompileError } from "./bundle/write.ts";

export interface CompileOptions {
  home?: string;
  cwd?: string;
  /** Protect the policy file itself (aip-go does it for the file the proxy loads). */
  protectPolicyFile?: boolean;
  maxMessageBytes?: number;
  maxDepth?: number;
  /** The engine whose normalization is used (a new one by default). */
  engine?: Engine;
  /** Operator override of `spec.mode` (the bundle, and so its hash, says which mode decided). */
  mode?: "enforce" | "monitor";
}

export interface CompileResult extends CompiledBundle {
  policy: Policy;
  warnings: PolicyDiagnostic[];
  compileMs: number;
}

let normalizer: Engine | null = null;

/** Compile policy YAML to a bundle. Throws PolicyError or BundleCompileError with every problem found. */
export function compilePolicy(text: string, file: string, opts: CompileOptions = {}): CompileResult {
  const t0 = performance.now();
  const home = opts.home ?? process.env.HOME ?? homedir();
  const cwd = opts.cwd ?? process.cwd();
  const { policy, warnings } = parsePolicy(text, file, { home, cwd });
  if (opts.mode) policy.mode = opts.mode;
  const engine = opts.engine ?? (normalizer ??= newEngine());
  const bundle = writeBundle(policy, {
    normalize: (s) => engine.normalize(s),
    home,
    cwd,
    policyPath: opts.protectPolicyFile && file !== "<inline>" ? resolve(cwd, file) : undefined,
    maxMessageBytes: opts.maxMessageBytes,
    maxDepth: opts.maxDepth,
  });
  return { ...bundle, policy, warnings, compileMs: performance.now() - t0 };
}

export function compilePolicyFile(path: string, opts: CompileOptions = {}): CompileResult {
  return compilePolicy(readFileSync(path, "utf8"), path, opts);
}
