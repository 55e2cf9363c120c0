// Shared by the policy tests.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parsePolicy } from "./parse.ts";
import { PolicyError, type Policy, type PolicyDiagnostic } from "./types.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const EXAMPLES_DIR = join(REPO, "examples");
/** The AIP conformance vectors, read in place (CI: ../shared/aip-conformance next to the repository). */
export const VECTORS_DIR = process.env.AIP_CONFORMANCE_DIR ?? resolve(REPO, "../shared/aip-conformance");

/** [file name, text] of every examples/*.yaml. */
export function examplePolicies(): [string, string][] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => [f, readFileSync(join(EXAMPLES_DIR, f), "utf8")]);
}

/** ["<file> <test id>", policy text] of every policy in the conformance vectors. */
export function vectorPolicies(): [string, string][] {
  if (!existsSync(VECTORS_DIR)) throw new Error(`conformance vectors not found at ${VECTORS_DIR} (set AIP_CONFORMANCE_DIR)`);
  const out: [string, string][] = [];
  const files = (readdirSync(VECTORS_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith(".yaml")).sort();
  for (const f of files) {
    const suite = parse(readFileSync(join(VECTORS_DIR, f), "utf8")) as { tests?: Record<string, unknown>[] };
    for (const t of suite.tests ?? []) {
      const texts = [t.policy, ...((t.policies as { content?: unknown }[]) ?? []).map((p) => p.content),
        ...((t.policy_sequence as { policy?: unknown; content?: unknown }[]) ?? []).flatMap((p) => [p.policy, p.content]),
        ...((t.steps as { policy?: unknown }[]) ?? []).map((s) => s.policy)];
      texts.forEach((p, i) => {
        if (typeof p === "string") out.push([`${relative(VECTORS_DIR, join(VECTORS_DIR, f))} ${String(t.id)}${i ? `#${i}` : ""}`, p]);
      });
    }
  }
  return out;
}

export const HOME = "/home/tester";
export const CWD = "/srv/agent";

/** A policy whose spec is `spec` (indented by the caller as at the top level). */
export function policyText(spec: string, version = "v1alpha1", metadata = "  name: test-policy\n"): string {
  const body = spec
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
  return `apiVersion: aip.io/${version}\nkind: AgentPolicy\nmetadata:\n${metadata}spec:\n${body}\n`;
}
/** Line number of the first spec line in policyText(). */
export const SPEC_LINE = 6;

export interface Outcome {
  policy?: Policy;
  errors: PolicyDiagnostic[];
  warnings: PolicyDiagnostic[];
  message?: string;
}

export function run(text: string, file = "p.yaml"): Outcome {
  try {
    const { policy, warnings } = parsePolicy(text, file, { home: HOME, cwd: CWD });
    return { policy, errors: [], warnings };
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    const errors = e.diagnostics.filter((d) => d.severity === "error");
    return { errors, warnings: e.diagnostics.filter((d) => d.severity === "warning"), message: e.message };
  }
}

export interface Rejection {
  spec: string;
  version?: string;
  path: string;
  message: string | RegExp;
  hint?: string | RegExp;
  at?: [number, number]; // line offset from the spec line, column
  /** Why the JSON Schema cannot see this problem (cross-field checks); absent: the schema rejects it too. */
  beyondSchema?: string;
}

export const rejections: Record<string, Rejection> = {
  "a misspelled field": { spec: "alowed_tools: [a]", path: "spec.alowed_tools", message: "unknown field", hint: "did you mean allowed_tools?", at: [0, 3] },
  "a misspelled nested field": { spec: "tool_rules:\n  - tool: t\n    allow_arg: { a: b }", path: "spec.tool_rules[0].allow_arg", message: "unknown field", hint: "did you mean allow_args?", at: [2, 7] },
  "a field in the wrong block": { spec: "dlp:\n  allowed_tools: [a]\n  patterns: [{name: n, regex: r}]", path: "spec.dlp.allowed_tools", message: "unknown field", hint: /^allowed_tools belongs at spec.allowed_tools or spec.server.fail_open_constraints.allowed_tools, not under spec.dlp$/, at: [1, 5] },
  "an unknown field with no near match": { spec: "frobnicate: 1", path: "spec.frobnicate", message: "unknown field", hint: /^valid fields here: mode, allowed_tools, /, at: [0, 3] },
  "a string where a list is expected": { spec: "allowed_tools: read_file", path: "spec.allowed_tools", message: 'expected a list, found the string "read_file"', hint: 'write a list: allowed_tools: [read_file], or one "- item" per line', at: [0, 18] },
  "a number as a tool name": { spec: "allowed_tools: [42]", path: "spec.allowed_tools[0]", message: "expected a string, found the number 42", hint: 'quote it: allowed_tools: "42"' },
  "a number as a rule tool": { spec: "tool_rules:\n  - tool: 7", path: "spec.tool_rules[0].tool", message: "expected a string, found the number 7", hint: 'quote it: tool: "7"' },
  "a quoted boolean": { spec: 'strict_args_default: "true"', path: "spec.strict_args_default", message: 'expected true or false, found the string "true"', hint: "remove the quotes: strict_args_default: true" },
  "a number as a boolean": { spec: "strict_args_default: 1", path: "spec.strict_args_default", message: "expected true or false, found the number 1" },
  "a list where a mapping is expected": { spec: "tool_rules:\n  - tool: t\n    allow_args:\n      - path: x", path: "spec.tool_rules[0].allow_args", message: "expected a mapping, found a list", hint: 'write "name: value" lines under allow_args, without "-"' },
  "a mapping where a list is expected": { spec: "tool_rules:\n  tool: t", path: "spec.tool_rules", message: "expected a list, found a mapping", hint: 'start each entry of tool_rules with "- "' },
  "a scalar where a mapping is expected": { spec: "dlp: true", path: "spec.dlp", message: "expected a mapping, found the boolean true", hint: "indent the fields of dlp on the lines below it" },
  "an empty tool name": { spec: 'allowed_tools: [""]', path: "spec.allowed_tools[0]", message: "value must not be empty" },
  "an empty list entry": { spec: "allowed_tools:\n  -\n  - b", path: "spec.allowed_tools[0]", message: "empty list entry" },
  "an empty protected path": { spec: "protected_paths: ['']", path: "spec.protected_paths[0]", message: "value must not be empty" },
  "a rule without a tool": { spec: "tool_rules:\n  - action: block", path: "spec.tool_rules[0].tool", message: "spec.tool_rules[0] has no tool", hint: "add tool: read_file", at: [1, 7] },
  "a rule with an empty tool": { spec: "tool_rules:\n  - tool:", path: "spec.tool_rules[0].tool", message: "tool has no value" },
  "an invalid mode": { spec: "mode: dry-run", path: "spec.mode", message: '"dry-run" is not a valid mode', hint: "valid values: enforce, monitor, audit" },
  "an invalid action with a near match": { spec: "tool_rules:\n  - tool: t\n    action: blok", path: "spec.tool_rules[0].action", message: '"blok" is not a valid action', hint: 'did you mean "block"? valid values: allow, block, ask' },
  "action deny": { spec: "tool_rules:\n  - tool: t\n    action: deny", path: "spec.tool_rules[0].action", message: '"deny" is not a valid action', hint: "valid values: allow, block, ask" },
  "an empty regex": { spec: "tool_rules:\n  - tool: t\n    allow_args: { path: '' }", path: "spec.tool_rules[0].allow_args.path", message: "value must not be empty" },
  "a missing regex": { spec: "tool_rules:\n  - tool: t\n    allow_args:\n      path:", path: "spec.tool_rules[0].allow_args.path", message: 'no regex for argument "path"' },
  "a number as a regex": { spec: "tool_rules:\n  - tool: t\n    allow_args: { port: 8080 }", path: "spec.tool_rules[0].allow_args.port", message: "expected a string, found the number 8080", hint: 'quote it: port: "8080"' },
  "an empty argument name": { spec: "tool_rules:\n  - tool: t\n    allow_args: { '': x }", path: 'spec.tool_rules[0].allow_args.""', message: "empty argument name" },
  "a rate limit without a period": { spec: "tool_rules:\n  - tool: t\n    rate_limit: '10'", path: "spec.tool_rules[0].rate_limit", message: 'rate limit "10" is not "<count>/<period>"', hint: /"10\/minute"/ },
  "a rate limit with two slashes": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 10/1/minute", path: "spec.tool_rules[0].rate_limit", message: /is not "<count>\/<period>"/ },
  "a zero rate limit": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 0/minute", path: "spec.tool_rules[0].rate_limit", message: "rate limit count must be greater than 0", hint: "to forbid a tool, use action: block instead of a zero rate" },
  "a negative rate limit": { spec: "tool_rules:\n  - tool: t\n    rate_limit: -5/minute", path: "spec.tool_rules[0].rate_limit", message: "rate limit count must be greater than 0" },
  "a rate limit count in words": { spec: "tool_rules:\n  - tool: t\n    rate_limit: ten/minute", path: "spec.tool_rules[0].rate_limit", message: 'rate limit count "ten" is not a whole number' },
  "a rate limit per day": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 10/day", path: "spec.tool_rules[0].rate_limit", message: 'unknown rate limit period "day"', hint: "periods: second (sec, s), minute (min, m), hour (hr, h)" },
  "a plural rate limit period": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 10/minutes", path: "spec.tool_rules[0].rate_limit", message: 'unknown rate limit period "minutes"', hint: /^did you mean "10\/minute"\?/ },
  "a huge rate limit": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 1000000000/second", path: "spec.tool_rules[0].rate_limit", message: "rate limit count 1000000000 is too large (at most 999999999)" },
  "a blank rate limit": { spec: "tool_rules:\n  - tool: t\n    rate_limit: '  '", path: "spec.tool_rules[0].rate_limit", message: /is not "<count>\/<period>"/ },
  "a rate limit as a number": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 10", path: "spec.tool_rules[0].rate_limit", message: "expected a string, found the number 10" },
  "two rules for one tool": { spec: "tool_rules:\n  - tool: read_file\n  - tool: Read_File\n    action: block", path: "spec.tool_rules[1].tool", message: 'a second rule for tool "Read_File" (the first is at line 7)', hint: "merge the two rules into one; aip-go would silently keep only the last", at: [2, 13], beyondSchema: "one rule per tool, by normalized name" },
  "a DLP pattern without a regex": { spec: "dlp:\n  patterns:\n    - name: x", path: "spec.dlp.patterns[0].regex", message: "spec.dlp.patterns[0] has no regex" },
  "a DLP pattern without a name": { spec: "dlp:\n  patterns:\n    - regex: x", path: "spec.dlp.patterns[0].name", message: "spec.dlp.patterns[0] has no name" },
  // v1alpha2 fields in a v1alpha1 policy
  "identity in v1alpha1": { spec: "identity: { enabled: true }", path: "spec.identity", message: "a v1alpha2 field in a v1alpha1 policy", hint: "set apiVersion: aip.io/v1alpha2 to use it" },
  "server in v1alpha1": { spec: "server: { enabled: false }", path: "spec.server", message: "a v1alpha2 field in a v1alpha1 policy" },
  "schema_hash in v1alpha1": { spec: `tool_rules:\n  - tool: t\n    schema_hash: sha256:${"0".repeat(64)}`, path: "spec.tool_rules[0].schema_hash", message: "a v1alpha2 field in a v1alpha1 policy" },
  "scan_requests in v1alpha1": { spec: "dlp:\n  scan_requests: true\n  patterns: [{ name: n, regex: r }]", path: "spec.dlp.scan_requests", message: "a v1alpha2 field in a v1alpha1 policy" },
  "pattern scope in v1alpha1": { spec: "dlp:\n  patterns: [{ name: n, regex: r, scope: all }]", path: "spec.dlp.patterns[0].scope", message: "a v1alpha2 field in a v1alpha1 policy" },
  // v1alpha3
  "spec.registry": { spec: "registry: { enabled: true }", version: "v1alpha2", path: "spec.registry", message: "a v1alpha3 field, which toolgate does not support yet" },
  "spec.aat": { spec: "aat: { enabled: true }", version: "v1alpha2", path: "spec.aat", message: "a v1alpha3 field, which toolgate does not support yet" },
  // v1alpha2 values
  "a bad schema hash": { spec: "tool_rules:\n  - tool: t\n    schema_hash: md5:abc", version: "v1alpha2", path: "spec.tool_rules[0].schema_hash", message: "not a schema hash", hint: /64 lower-case hex digits/ },
  "a bad max_scan_size": { spec: "dlp:\n  max_scan_size: 1 MB\n  patterns: [{ name: n, regex: r }]", version: "v1alpha2", path: "spec.dlp.max_scan_size", message: "not a size", hint: /B, KB, MB or GB/ },
  "a lower-case max_scan_size": { spec: "dlp:\n  max_scan_size: 1mb\n  patterns: [{ name: n, regex: r }]", version: "v1alpha2", path: "spec.dlp.max_scan_size", message: "not a size" },
  "a bad on_request_match": { spec: "dlp:\n  on_request_match: drop\n  patterns: [{ name: n, regex: r }]", version: "v1alpha2", path: "spec.dlp.on_request_match", message: '"drop" is not a valid on_request_match', hint: "valid values: block, redact, warn" },
  "a bad on_redaction_failure": { spec: "dlp:\n  on_redaction_failure: allow\n  patterns: [{ name: n, regex: r }]", version: "v1alpha2", path: "spec.dlp.on_redaction_failure", message: '"allow" is not a valid on_redaction_failure' },
  "a bad pattern scope": { spec: "dlp:\n  patterns: [{ name: n, regex: r, scope: both }]", version: "v1alpha2", path: "spec.dlp.patterns[0].scope", message: '"both" is not a valid scope' },
  "a token_ttl in words": { spec: "identity: { token_ttl: 5 minutes }", version: "v1alpha2", path: "spec.identity.token_ttl", message: "not a duration", hint: /"1h30m"/ },
  "a token_ttl over 1h": { spec: "identity: { token_ttl: 2h }", version: "v1alpha2", path: "spec.identity.token_ttl", message: "token_ttl 2h exceeds 1h", beyondSchema: "duration arithmetic" },
  "a zero token_ttl": { spec: "identity: { token_ttl: 0s }", version: "v1alpha2", path: "spec.identity.token_ttl", message: "token_ttl must be greater than 0", beyondSchema: "duration arithmetic" },
  "rotation_interval >= token_ttl": { spec: "identity: { token_ttl: 5m, rotation_interval: 6m }", version: "v1alpha2", path: "spec.identity.rotation_interval", message: "rotation_interval (6m) must be less than token_ttl (5m)", beyondSchema: "duration arithmetic" },
  "rotation_interval >= the default token_ttl": { spec: "identity: { rotation_interval: 5m }", version: "v1alpha2", path: "spec.identity.rotation_interval", message: "rotation_interval (5m) must be less than token_ttl (5m)", beyondSchema: "duration arithmetic" },
  "nonce_window < token_ttl": { spec: "identity: { token_ttl: 10m, nonce_window: 5m }", version: "v1alpha2", path: "spec.identity.nonce_window", message: "nonce_window (5m) must be at least token_ttl (10m)", beyondSchema: "duration arithmetic" },
  "a bad session_binding": { spec: "identity: { session_binding: host }", version: "v1alpha2", path: "spec.identity.session_binding", message: '"host" is not a valid session_binding', hint: "valid values: process, policy, strict" },
  "a wildcard audience": { spec: "identity: { audience: '*' }", version: "v1alpha2", path: "spec.identity.audience", message: "audience must not contain wildcards or spaces" },
  "redis without an address": { spec: "identity: { nonce_storage: { type: redis } }", version: "v1alpha2", path: "spec.identity.nonce_storage.address", message: "nonce_storage.address is required for this store type" },
  "a key file without a path": { spec: "identity: { keys: { key_source: file } }", version: "v1alpha2", path: "spec.identity.keys.key_path", message: "keys.key_path is required when key_source is file" },
  "a lower-case signing algorithm": { spec: "identity: { keys: { signing_algorithm: es256 } }", version: "v1alpha2", path: "spec.identity.keys.signing_algorithm", message: '"es256" is not a valid signing_algorithm', hint: /did you mean "ES256"/ },
  "HS256 with the server": { spec: "identity: { keys: { signing_algorithm: HS256 } }\nserver: { enabled: true }", version: "v1alpha2", path: "spec.identity.keys.signing_algorithm", message: "HS256 tokens cannot be used with the HTTP server", beyondSchema: "a rule across identity and server" },
  "a public listen address without TLS": { spec: "server: { enabled: true, listen: ':9443' }", version: "v1alpha2", path: "spec.server.tls.cert", message: "TLS is required when the server listens on a non-localhost address", hint: /tls.cert and tls.key/ },
  "a listen address without a port": { spec: "server: { listen: localhost }", version: "v1alpha2", path: "spec.server.listen", message: "not a listen address" },
  "a listen port over 65535": { spec: "server: { listen: '127.0.0.1:70000' }", version: "v1alpha2", path: "spec.server.listen", message: "not a listen address" },
  "a certificate without a key": { spec: "server: { tls: { cert: /c.pem } }", version: "v1alpha2", path: "spec.server.tls.key", message: "tls.cert needs tls.key" },
  "client certificates without a CA": { spec: "server: { tls: { cert: /c, key: /k, require_client_cert: true } }", version: "v1alpha2", path: "spec.server.tls.client_ca", message: "require_client_cert needs client_ca" },
  "an endpoint without a slash": { spec: "server: { endpoints: { validate: v1/validate } }", version: "v1alpha2", path: "spec.server.endpoints.validate", message: "not an endpoint path" },
  "a bad failover_mode": { spec: "server: { failover_mode: open }", version: "v1alpha2", path: "spec.server.failover_mode", message: '"open" is not a valid failover_mode' },
  "max_requests of 0": { spec: "server: { fail_open_constraints: { max_requests: 0 } }", version: "v1alpha2", path: "spec.server.fail_open_constraints.max_requests", message: "0 is too small" },
  "max_requests as a string": { spec: "server: { fail_open_constraints: { max_requests: '5' } }", version: "v1alpha2", path: "spec.server.fail_open_constraints.max_requests", message: 'expected a whole number, found the string "5"' },
  "a non-http webhook": { spec: "server: { fail_open_constraints: { alert_webhook: 'ftp://x' } }", version: "v1alpha2", path: "spec.server.fail_open_constraints.alert_webhook", message: "not an http(s) URL" },
};


/** Policies aip-go loads that break the AIP schema: toolgate loads them with a warning. */
export const warningCases: Record<string, { spec: string; version?: string; metadata?: string; beyondSchema?: string }> = {
  "a YAML 1.1 boolean": { spec: "strict_args_default: yes" },
  "a capitalized mode": { spec: "mode: Enforce" },
  "an action with spaces": { spec: "tool_rules:\n  - tool: t\n    action: ' ask '" },
  "an empty mode": { spec: "mode: ''" },
  "an empty rate limit": { spec: "tool_rules:\n  - tool: t\n    rate_limit: ''" },
  "a rate limit with spaces": { spec: "tool_rules:\n  - tool: t\n    rate_limit: 10 / minute" },
  "a rate limit with a plus sign": { spec: "tool_rules:\n  - tool: t\n    rate_limit: +10/minute" },
  "a name that is not a DNS label": { spec: "allowed_tools: [a]", metadata: "  name: My_Agent\n" },
  "a version that is not semver": { spec: "allowed_tools: [a]", metadata: "  name: a\n  version: v2\n" },
  "an owner that is not an email": { spec: "allowed_tools: [a]", metadata: "  name: a\n  owner: Platform Team\n" },
  "a duplicate allowed tool": { spec: "allowed_tools: [a, a]" },
  "a duplicate protected path": { spec: "protected_paths: [/etc, /etc]" },
  "an empty allowed_methods": { spec: "allowed_methods: []" },
  "a dlp block without patterns": { spec: "dlp: { enabled: true }" },
  "an empty pattern list": { spec: "dlp: { patterns: [] }" },
  "a field with no value": { spec: "denied_tools:" },
  "a DLP name over 64 characters": { spec: `dlp: { patterns: [{ name: ${"n".repeat(65)}, regex: x }] }` },
  "fail_open without constraints": { spec: "server: { failover_mode: fail_open }", version: "v1alpha2" },
  "two DLP patterns with one name": { spec: "dlp: { patterns: [{ name: k, regex: a }, { name: k, regex: b }] }", beyondSchema: "unique names inside a list of objects" },
  "one protected path written two ways": { spec: "protected_paths: [~/.ssh, /home/tester/.ssh]", beyondSchema: "~ expansion" },
  "a ~user protected path": { spec: "protected_paths: ['~root/.ssh']", beyondSchema: "~ expansion" },
  "a late token rotation": { spec: "identity: { token_ttl: 10m, rotation_interval: 9m50s }", version: "v1alpha2", beyondSchema: "duration arithmetic" },
};

/** Policies both the schema and the parser accept without a word. */
export const cleanCases: Record<string, { spec: string; version?: string; metadata?: string }> = {
  "an empty allowlist": { spec: "allowed_tools: []" },
  "every v1alpha1 spec field": {
    spec: [
      "mode: monitor",
      "allowed_tools: [a]",
      "denied_tools: [b]",
      "allowed_methods: ['*']",
      "denied_methods: [resources/read]",
      "protected_paths: [~/.ssh]",
      "strict_args_default: false",
      "tool_rules:",
      "  - { tool: c, action: ask, rate_limit: 5/hour, strict_args: true, allow_args: { x: '^y$' } }",
      "dlp: { enabled: false, detect_encoding: true, filter_stderr: false, patterns: [{ name: n, regex: r }] }",
    ].join("\n"),
    metadata: "  name: all-fields\n  version: 0.1.0-rc1\n  owner: a@b.io\n",
  },
  "v1alpha2 identity and server on localhost": {
    spec: "identity: { enabled: true, token_ttl: 1s, require_token: true }\nserver: { enabled: true, listen: 'localhost:8080', endpoints: { health: /healthz } }",
    version: "v1alpha2",
  },
  "a v1alpha2 public server with TLS": { spec: "server: { enabled: true, listen: ':443', tls: { cert: /c.pem, key: /k.pem } }", version: "v1alpha2" },
  "v1alpha2 request DLP": {
    spec: "dlp:\n  scan_requests: true\n  max_scan_size: 10MB\n  on_request_match: warn\n  patterns: [{ name: n, regex: r, scope: response }]",
    version: "v1alpha2",
  },
};
