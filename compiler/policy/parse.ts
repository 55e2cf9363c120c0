// The policy front end: YAML text -> validated Policy IR, or a PolicyError listing every problem found.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { LineCounter, parseAllDocuments, type YAMLError } from "yaml";
import { PolicyError, type Action, type ApiVersion, type DlpConfig, type DlpScope, type Located, type Mode, type Policy, type PolicyDiagnostic, type SourcePos, type ToolRule } from "./types.ts";
import { parseDuration, parseRateLimit, parseSize } from "./values.ts";
import { CList, CObject, toTree, walkDocument, type Walker } from "./walk.ts";

export interface ParseOptions {
  /** Home directory for `~/` in protected_paths (default: the current user's). */
  home?: string;
  /** Directory relative protected_paths resolve against (default: process.cwd()). */
  cwd?: string;
}

export interface ParseResult {
  policy: Policy;
  warnings: PolicyDiagnostic[];
}

const START: SourcePos = { line: 1, col: 1 };

// Hints for the YAML syntax errors people actually make.
const YAML_HINTS: Partial<Record<YAMLError["code"], string>> = {
  DUPLICATE_KEY: "a key may appear only once in a mapping; merge the two entries",
  TAB_AS_INDENT: "indent with spaces, not tabs",
  BAD_INDENT: "align this line with its siblings, and indent children under their parent",
  MISSING_CHAR: "a quote or bracket is not closed",
  BAD_DQ_ESCAPE: 'inside double quotes write a backslash as \\\\ (regexes read better in single quotes: \'\\d+\')',
  MULTILINE_IMPLICIT_KEY: "a key must fit on one line; is a colon or quote missing on the line above?",
  BLOCK_AS_IMPLICIT_KEY: "is a colon missing, or a value indented too far?",
  UNEXPECTED_TOKEN: "check for a stray character, a missing colon or unbalanced quotes",
};

export function parsePolicy(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const diagnostics: PolicyDiagnostic[] = [];
  const fail = (): never => {
    throw new PolicyError(sortDiagnostics(diagnostics));
  };
  const syntax = (severity: "error" | "warning", e: YAMLError) => {
    const pos = e.linePos?.[0] ?? START;
    const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    const hint = /end with an? [\]}]/.test(message) ? "close the flow collection with its bracket" : YAML_HINTS[e.code];
    diagnostics.push({ file, line: pos.line, col: pos.col, path: "", message, ...(hint ? { hint } : {}), severity });
  };

  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: true, merge: true, uniqueKeys: true });
  if (!Array.isArray(docs) || docs.length === 0 || docs[0].contents === null) {
    diagnostics.push({
      file, ...START, path: "", severity: "error",
      message: "the policy is empty",
      hint: "start with apiVersion: aip.io/v1alpha1, kind: AgentPolicy, metadata: { name: my-agent } and a spec: block",
    });
    fail();
  }
  const doc = docs[0];
  if (docs.length > 1) {
    const pos = lc.linePos(docs[1].range[0]);
    diagnostics.push({
      file, ...pos, path: "", severity: "error",
      message: `the file holds ${docs.length} YAML documents; a policy file holds exactly one`,
      hint: 'remove the "---" separator, or put each policy in its own file',
    });
  }
  for (const d of docs) {
    d.errors.forEach((e) => syntax("error", e));
    d.warnings.forEach((e) => syntax("warning", e));
  }
  if (diagnostics.some((d) => d.severity === "error")) fail();

  const treeReports: PolicyDiagnostic[] = [];
  const tree = toTree(doc.contents, doc, lc, (severity, pos, path, message, hint) => treeReports.push({ file, ...pos, path, message, ...(hint ? { hint } : {}), severity }), START);
  // The version decides which fields exist; an invalid apiVersion is reported by the walker, and the
  // rest of the document is then checked against the newest version to avoid a cascade of errors.
  const apiEntry = tree.kind === "map" ? tree.entries.find((e) => e.key === "apiVersion") : undefined;
  const version = apiEntry?.value.kind === "scalar" && apiEntry.value.value === "aip.io/v1alpha1" ? "v1alpha1" : "v1alpha2";
  const { walker, root } = walkDocument(tree, file, version);
  diagnostics.push(...treeReports);
  if (root) crossChecks(root, walker, opts);
  diagnostics.push(...walker.diagnostics);
  if (!root || diagnostics.some((d) => d.severity === "error")) fail();

  return { policy: build(root!, walker, file), warnings: sortDiagnostics(diagnostics) };
}

export function loadPolicyFile(path: string, opts: ParseOptions = {}): ParseResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new PolicyError([{ file: path, ...START, path: "", severity: "error", message: `cannot read the policy file: ${reason}`, hint: "check the path passed as the policy" }]);
  }
  return parsePolicy(text, path, opts);
}

function sortDiagnostics(ds: PolicyDiagnostic[]): PolicyDiagnostic[] {
  return ds.map((d, i) => [d, i] as const).sort(([a, i], [b, j]) => a.line - b.line || a.col - b.col || i - j).map(([d]) => d);
}

// ---- reading checked values ----------------------------------------------------------------------------

const str = (o: CObject | undefined, key: string) => o?.get<Located<string>>(key);
const flag = (o: CObject | undefined, key: string) => o?.get<Located<boolean>>(key)?.value;
const obj = (o: CObject | undefined, key: string) => o?.get<CObject>(key);
const items = (o: CObject | undefined, key: string) => o?.get<CList>(key)?.items ?? [];
const strings = (o: CObject | undefined, key: string) => items(o, key) as Located<string>[];
const objects = (o: CObject | undefined, key: string) => items(o, key) as CObject[];

// ---- checks that span several fields (the JSON Schema cannot express these) ----------------------------

/** Close to the engine's name normalization (NFKC, lower case, trim): enough to catch duplicate rules. */
const toolKey = (name: string) => name.normalize("NFKC").toLowerCase().trim();

function crossChecks(root: CObject, w: Walker, opts: ParseOptions): void {
  const spec = obj(root, "spec");

  // One rule per tool: aip-go silently keeps the last of several, a footgun when a policy grows.
  const rules = new Map<string, Located<string>>();
  objects(spec, "tool_rules").forEach((rule, i) => {
    const tool = str(rule, "tool");
    if (!tool) return;
    const first = rules.get(toolKey(tool.value));
    if (first)
      w.report("error", tool.pos, `spec.tool_rules[${i}].tool`, `a second rule for tool ${JSON.stringify(tool.value)} (the first is at line ${first.pos.line})`, "merge the two rules into one; aip-go would silently keep only the last");
    else rules.set(toolKey(tool.value), tool);
  });

  const patternNames = new Map<string, SourcePos>();
  objects(obj(spec, "dlp"), "patterns").forEach((p, i) => {
    const name = str(p, "name");
    if (!name) return;
    const first = patternNames.get(name.value);
    if (first) w.report("warning", name.pos, `spec.dlp.patterns[${i}].name`, `two DLP patterns are named ${JSON.stringify(name.value)} (also at line ${first.line})`, "give each pattern its own name so redactions and audit records tell them apart");
    else patternNames.set(name.value, name.pos);
  });

  checkIdentity(spec, w);

  const alg = str(obj(obj(spec, "identity"), "keys"), "signing_algorithm");
  if (alg?.value === "HS256" && flag(obj(spec, "server"), "enabled") === true)
    w.report("error", alg.pos, "spec.identity.keys.signing_algorithm", "HS256 tokens cannot be used with the HTTP server", "use ES256 or EdDSA: a shared HMAC key cannot be published for verifiers");

  checkProtectedPaths(spec, w, opts);
}

function checkIdentity(spec: CObject | undefined, w: Walker): void {
  const id = obj(spec, "identity");
  if (!id) return;
  const ms = (key: string) => {
    const v = str(id, key);
    return v ? { at: v, ms: parseDuration(v.value)! } : undefined;
  };
  const ttl = ms("token_ttl");
  const ttlMs = ttl?.ms ?? 5 * 60_000;
  if (ttl && ttl.ms === 0) w.report("error", ttl.at.pos, "spec.identity.token_ttl", "token_ttl must be greater than 0", 'e.g. token_ttl: "5m"');
  if (ttl && ttl.ms > 3_600_000) w.report("error", ttl.at.pos, "spec.identity.token_ttl", `token_ttl ${ttl.at.value} exceeds 1h`, "tokens should live 5 to 15 minutes; at most 1h");
  const rot = ms("rotation_interval");
  // An absent rotation_interval is not checked against a short token_ttl (aip-go fails there; the spec's
  // own vectors use token_ttl: 1s).
  if (rot && rot.ms > 0 && ttlMs > 0) {
    if (rot.ms >= ttlMs)
      w.report("error", rot.at.pos, "spec.identity.rotation_interval", `rotation_interval (${rot.at.value}) must be less than token_ttl (${ttl?.at.value ?? "5m"})`, 'rotate before tokens expire, e.g. token_ttl: "5m" with rotation_interval: "4m"; "0s" disables rotation');
    else if (rot.ms > 0.9 * ttlMs)
      w.report("warning", rot.at.pos, "spec.identity.rotation_interval", "rotation_interval is more than 90% of token_ttl", "rotate earlier so a new token is ready well before the old one expires");
  }
  const nw = ms("nonce_window");
  if (nw && nw.ms < ttlMs)
    w.report("error", nw.at.pos, "spec.identity.nonce_window", `nonce_window (${nw.at.value}) must be at least token_ttl (${ttl?.at.value ?? "5m"})`, "a shorter window lets a token be replayed after its nonce is forgotten");
}

function checkProtectedPaths(spec: CObject | undefined, w: Walker, opts: ParseOptions): void {
  const home = opts.home ?? homedir();
  const cwd = opts.cwd ?? process.cwd();
  const seen = new Map<string, Located<string>>();
  strings(spec, "protected_paths").forEach((p, i) => {
    const path = `spec.protected_paths[${i}]`;
    if (/^~[^/]/.test(p.value)) {
      w.report("warning", p.pos, path, `only a leading "~/" is expanded; ${JSON.stringify(p.value)} is taken literally`, "write the absolute path, e.g. /home/user/.ssh");
      return;
    }
    const abs = p.value === "~" ? home : p.value.startsWith("~/") ? resolve(home, p.value.slice(2)) : isAbsolute(p.value) ? resolve(p.value) : resolve(cwd, p.value);
    const first = seen.get(abs);
    // Entries that are textually equal are already reported as duplicates by the list check.
    if (first && first.value !== p.value)
      w.report("warning", p.pos, path, `${JSON.stringify(p.value)} names the same path as ${JSON.stringify(first.value)} (line ${first.pos.line})`, "remove one of them");
    else if (!first) seen.set(abs, p);
  });
}

// ---- the IR --------------------------------------------------------------------------------------------

function build(root: CObject, w: Walker, file: string): Policy {
  const meta = obj(root, "metadata");
  const spec = obj(root, "spec");
  const allowedMethods = strings(spec, "allowed_methods");
  return {
    file,
    apiVersion: str(root, "apiVersion")!.value as ApiVersion,
    metadata: {
      name: str(meta, "name")?.value ?? "",
      version: str(meta, "version")?.value ?? null,
      owner: str(meta, "owner")?.value ?? null,
      signature: str(meta, "signature") ?? null,
    },
    mode: modeOf(str(spec, "mode")?.value),
    allowedTools: strings(spec, "allowed_tools"),
    deniedTools: strings(spec, "denied_tools"),
    // aip-go: an empty or absent list means the default list.
    allowedMethods: allowedMethods.length > 0 ? allowedMethods : null,
    deniedMethods: strings(spec, "denied_methods"),
    protectedPaths: strings(spec, "protected_paths"),
    strictArgsDefault: flag(spec, "strict_args_default") ?? false,
    toolRules: objects(spec, "tool_rules").map(buildRule),
    dlp: buildDlp(obj(spec, "dlp")),
    v1alpha2Features: [...w.features].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col),
  };
}

function buildRule(r: CObject): ToolRule {
  const rate = str(r, "rate_limit");
  const parsed = rate ? parseRateLimit(rate.value) : undefined;
  return {
    tool: str(r, "tool")!,
    action: (str(r, "action")?.value ?? "allow") as Action,
    rateLimit: parsed && "value" in parsed ? parsed.value : null,
    strictArgs: flag(r, "strict_args") ?? null,
    allowArgs: [...(obj(r, "allow_args")?.fields ?? [])].map(([name, e]) => ({
      name: { value: name, pos: e.keyPos },
      regex: e.value as Located<string>,
    })),
    schemaHash: str(r, "schema_hash") ?? null,
    pos: r.pos,
  };
}

function buildDlp(d: CObject | undefined): DlpConfig | null {
  if (!d) return null;
  const size = str(d, "max_scan_size");
  return {
    enabled: flag(d, "enabled") ?? true,
    detectEncoding: flag(d, "detect_encoding") ?? false,
    filterStderr: flag(d, "filter_stderr") ?? false,
    patterns: objects(d, "patterns").map((p) => ({
      name: str(p, "name")!,
      regex: str(p, "regex")!,
      scope: (str(p, "scope")?.value ?? "all") as DlpScope,
    })),
    scanRequests: flag(d, "scan_requests") ?? false,
    scanResponses: flag(d, "scan_responses") ?? true,
    maxScanSize: size ? parseSize(size.value) : null,
    onRequestMatch: (str(d, "on_request_match")?.value ?? null) as DlpConfig["onRequestMatch"],
    onRedactionFailure: (str(d, "on_redaction_failure")?.value ?? null) as DlpConfig["onRedactionFailure"],
    logOriginalOnFailure: flag(d, "log_original_on_failure") ?? null,
    pos: d.pos,
  };
}

/** The policy's mode; `audit` is another name for monitor. */
export function modeOf(text: string | undefined): Mode {
  return text === "audit" || text === "monitor" ? "monitor" : "enforce";
}
