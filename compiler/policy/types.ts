// The policy IR: what the policy front end (parse + validate) hands to the bundle compiler.
// Everything here is already validated; positions are kept so later stages can still name a policy line.

export interface SourcePos {
  line: number; // 1-based
  col: number; // 1-based
}

/** A string from the policy with the place it was written. */
export interface Located<T = string> {
  value: T;
  pos: SourcePos;
}

export type ApiVersion = "aip.io/v1alpha1" | "aip.io/v1alpha2";
export type Mode = "enforce" | "monitor";
export type Action = "allow" | "block" | "ask";

export interface RateLimit {
  count: number; // > 0
  periodMs: number; // 1000, 60000 or 3600000
  source: string; // as written, e.g. "10/minute"
}

export interface ToolRule {
  tool: Located; // raw name as written (normalized by the engine at compile time)
  action: Action;
  rateLimit: RateLimit | null;
  strictArgs: boolean | null; // null: inherit spec.strict_args_default
  allowArgs: { name: Located; regex: Located }[]; // in policy order
  schemaHash: Located | null; // v1alpha2: refused as "not supported yet" until implemented
  pos: SourcePos;
}

export type DlpScope = "request" | "response" | "all";

export interface DlpPattern {
  name: Located;
  regex: Located;
  scope: DlpScope;
}

export interface DlpConfig {
  enabled: boolean;
  detectEncoding: boolean;
  filterStderr: boolean;
  patterns: DlpPattern[];
  // v1alpha2 fields, parsed and validated; the compiler refuses the ones not supported yet.
  scanRequests: boolean;
  scanResponses: boolean;
  maxScanSize: number | null; // bytes
  onRequestMatch: "block" | "redact" | "warn" | null;
  onRedactionFailure: "block" | "allow_original" | "reject" | null;
  logOriginalOnFailure: boolean | null;
  pos: SourcePos;
}

/** A v1alpha2 feature that was present in the policy: kept so the compiler can refuse it by name and line. */
export interface UsedFeature {
  path: string; // e.g. "spec.identity"
  pos: SourcePos;
}

export interface Policy {
  file: string; // path used in messages ("<inline>" when not from a file)
  apiVersion: ApiVersion;
  metadata: {
    name: string;
    version: string | null;
    owner: string | null;
    signature: Located | null;
  };
  mode: Mode;
  allowedTools: Located[];
  deniedTools: Located[]; // aip-go's undocumented spec.denied_tools
  allowedMethods: Located[] | null; // null: the default list
  deniedMethods: Located[];
  protectedPaths: Located[];
  strictArgsDefault: boolean;
  toolRules: ToolRule[];
  dlp: DlpConfig | null;
  /** v1alpha2 blocks present (identity, server, ...), each refused until its issue lands. */
  v1alpha2Features: UsedFeature[];
}

/** One problem found in a policy. Several are reported at once. */
export interface PolicyDiagnostic {
  file: string;
  line: number;
  col: number;
  path: string; // e.g. "spec.tool_rules[2].rate_limit"
  message: string;
  hint?: string;
  severity: "error" | "warning";
}

export class PolicyError extends Error {
  constructor(public readonly diagnostics: PolicyDiagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "PolicyError";
  }
}

export function formatDiagnostic(d: PolicyDiagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const hint = d.hint ? `\n  hint: ${d.hint}` : "";
  return `${where}: ${d.severity}: ${d.path ? d.path + ": " : ""}${d.message}${hint}`;
}
