// The policy the proxy runs: a YAML file compiled here (the policy file itself is protected, as in aip-go) or
// a compiled bundle (.tgb). Loaded at start and again on every change (hot reload).
import { compilePolicy, formatDiagnostic, type CompileOptions } from "../../../compiler/index.ts";
import { isBundle } from "../policy-source.ts";
import type { Policy } from "../../../compiler/policy/types.ts";

export interface ProxyPolicy {
  bytes: Uint8Array;
  /** The file's bytes, to tell a real change from a touch. */
  source: Buffer;
  /** The policy IR when compiled from YAML (null for a bundle). */
  policy: Policy | null;
  warnings: string[];
}

export function compileSource(path: string, source: Buffer, opts: CompileOptions): ProxyPolicy {
  if (isBundle(source)) return { bytes: new Uint8Array(source), source, policy: null, warnings: [] };
  const r = compilePolicy(source.toString("utf8"), path, { ...opts, protectPolicyFile: true });
  return { bytes: r.bytes, source, policy: r.policy, warnings: r.warnings.map(formatDiagnostic) };
}

/** What a rule path of `error.data.rule` says in the policy: the regex of a failed argument (aip-go's failed_rule). */
export function ruleSource(policy: Policy | null, rule: string): string | null {
  if (!policy) return null;
  const m = /^tool_rules\[(\d+)\]\.allow_args\.(.*)$/s.exec(rule);
  if (!m) return null;
  const arg = policy.toolRules[Number(m[1])]?.allowArgs.find((a) => a.name.value === m[2]);
  return arg ? arg.regex.value : null;
}

/** The startup line about a policy (aip-go: `Loaded policy: <name> (API version: <v>)`). */
export function describePolicy(p: ProxyPolicy, path: string, hash: string | null): string {
  return p.policy
    ? `Loaded policy: ${p.policy.metadata.name} (API version: ${p.policy.apiVersion}) from ${path}, policy_hash ${hash}`
    : `Loaded policy bundle ${path}, policy_hash ${hash}`;
}
