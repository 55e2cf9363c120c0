import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicyFile, parsePolicy } from "./parse.ts";
import { SPEC_LINE, policyText, rejections, run } from "./test-helpers.ts";
import { PolicyError, formatDiagnostic } from "./types.ts";
import { parseDuration, parseRateLimit, parseSize } from "./values.ts";

const ok = (text: string) => {
  const r = run(text);
  expect(r.errors, r.message).toEqual([]);
  return r;
};

describe("accepted policies", () => {
  it("a minimal v1alpha1 policy gets the documented defaults", () => {
    const { policy, warnings } = ok(policyText("allowed_tools: [read_file]"));
    expect(warnings).toEqual([]);
    expect(policy).toMatchObject({
      file: "p.yaml",
      apiVersion: "aip.io/v1alpha1",
      metadata: { name: "test-policy", version: null, owner: null, signature: null },
      mode: "enforce",
      allowedTools: [{ value: "read_file", pos: { line: SPEC_LINE, col: 19 } }],
      deniedTools: [],
      allowedMethods: null,
      deniedMethods: [],
      protectedPaths: [],
      strictArgsDefault: false,
      toolRules: [],
      dlp: null,
      v1alpha2Features: [],
    });
  });

  it("reads every v1alpha1 field, keeping positions and policy order", () => {
    const text = [
      "apiVersion: aip.io/v1alpha1",
      "kind: AgentPolicy",
      "metadata:",
      "  name: file-agent",
      "  version: 1.2.3",
      "  owner: sec@example.com",
      "spec:",
      "  mode: monitor",
      "  allowed_tools: [read_file, list_directory]",
      "  denied_tools: [exec]",
      "  allowed_methods: [initialize, tools/call, '*']",
      "  denied_methods: [resources/read]",
      "  protected_paths: [~/.ssh, /etc/shadow]",
      "  strict_args_default: true",
      "  tool_rules:",
      "    - tool: fetch_url",
      "      action: ask",
      "      rate_limit: 10/minute",
      "      strict_args: false",
      "      allow_args:",
      "        url: '^https://'",
      "        method: ^GET$",
      "  dlp:",
      "    enabled: true",
      "    detect_encoding: true",
      "    filter_stderr: true",
      "    patterns:",
      '      - name: "AWS Key"',
      '        regex: "AKIA[0-9A-Z]{16}"',
    ].join("\n");
    const { policy, warnings } = ok(text);
    expect(warnings).toEqual([]);
    expect(policy!.metadata).toEqual({ name: "file-agent", version: "1.2.3", owner: "sec@example.com", signature: null });
    expect(policy!.mode).toBe("monitor");
    expect(policy!.allowedTools.map((t) => t.value)).toEqual(["read_file", "list_directory"]);
    expect(policy!.deniedTools).toEqual([{ value: "exec", pos: { line: 10, col: 18 } }]);
    expect(policy!.allowedMethods!.map((m) => m.value)).toEqual(["initialize", "tools/call", "*"]);
    expect(policy!.deniedMethods.map((m) => m.value)).toEqual(["resources/read"]);
    expect(policy!.protectedPaths).toEqual([
      { value: "~/.ssh", pos: { line: 13, col: 21 } },
      { value: "/etc/shadow", pos: { line: 13, col: 29 } },
    ]);
    expect(policy!.strictArgsDefault).toBe(true);
    expect(policy!.toolRules).toEqual([
      {
        tool: { value: "fetch_url", pos: { line: 16, col: 13 } },
        action: "ask",
        rateLimit: { count: 10, periodMs: 60_000, source: "10/minute" },
        strictArgs: false,
        allowArgs: [
          { name: { value: "url", pos: { line: 21, col: 9 } }, regex: { value: "^https://", pos: { line: 21, col: 14 } } },
          { name: { value: "method", pos: { line: 22, col: 9 } }, regex: { value: "^GET$", pos: { line: 22, col: 17 } } },
        ],
        schemaHash: null,
        pos: { line: 16, col: 7 },
      },
    ]);
    expect(policy!.dlp).toEqual({
      enabled: true,
      detectEncoding: true,
      filterStderr: true,
      patterns: [{ name: { value: "AWS Key", pos: { line: 28, col: 15 } }, regex: { value: "AKIA[0-9A-Z]{16}", pos: { line: 29, col: 16 } }, scope: "all" }],
      scanRequests: false,
      scanResponses: true,
      maxScanSize: null,
      onRequestMatch: null,
      onRedactionFailure: null,
      logOriginalOnFailure: null,
      pos: { line: 24, col: 5 },
    });
    expect(policy!.v1alpha2Features).toEqual([]);
  });

  it("reads every v1alpha2 field and records each v1alpha2 feature with its position", () => {
    const text = [
      "apiVersion: aip.io/v1alpha2",
      "kind: AgentPolicy",
      "metadata:",
      "  name: v2-agent",
      `  signature: "ed25519:${"A".repeat(86)}=="`,
      "spec:",
      "  tool_rules:",
      "    - tool: read_file",
      `      schema_hash: sha256:${"ab".repeat(32)}`,
      "  dlp:",
      "    scan_requests: true",
      "    scan_responses: false",
      "    max_scan_size: 512KB",
      "    on_request_match: redact",
      "    on_redaction_failure: reject",
      "    log_original_on_failure: false",
      "    patterns:",
      "      - name: token",
      "        regex: tok_[a-z]+",
      "        scope: request",
      "  identity:",
      "    enabled: true",
      '    token_ttl: "10m"',
      '    rotation_interval: "8m"',
      "    require_token: true",
      "    session_binding: strict",
      "    nonce_window: 15m",
      "    policy_transition_grace: 30s",
      "    audience: https://tools.example.com",
      "    nonce_storage: { type: redis, address: 'redis://cache:6379', key_prefix: 'aip:', clock_skew_tolerance: 30s }",
      "    keys: { signing_algorithm: ES256, key_source: file, key_path: /etc/k.pem, rotation_period: 7d, grace_period: 1h, jwks_endpoint: /v1/jwks }",
      "  server:",
      "    enabled: true",
      '    listen: "0.0.0.0:9443"',
      "    failover_mode: fail_open",
      "    timeout: 5s",
      "    tls: { cert: /tls/c.pem, key: /tls/k.pem, client_ca: /tls/ca.pem, require_client_cert: true }",
      "    fail_open_constraints: { allowed_tools: [read_file], max_duration: 5m, max_requests: 100, alert_webhook: 'https://hooks.example.com/x', require_local_policy: true }",
      "    endpoints: { validate: /v1/validate, revoke: /v1/revoke, jwks: /v1/jwks, health: /health, metrics: /metrics }",
    ].join("\n");
    const { policy, warnings } = ok(text);
    expect(warnings).toEqual([]);
    expect(policy!.apiVersion).toBe("aip.io/v1alpha2");
    expect(policy!.metadata.signature).toEqual({ value: `ed25519:${"A".repeat(86)}==`, pos: { line: 5, col: 14 } });
    expect(policy!.toolRules[0].schemaHash?.value).toBe(`sha256:${"ab".repeat(32)}`);
    expect(policy!.dlp).toMatchObject({
      scanRequests: true,
      scanResponses: false,
      maxScanSize: 512 * 1024,
      onRequestMatch: "redact",
      onRedactionFailure: "reject",
      logOriginalOnFailure: false,
    });
    expect(policy!.dlp!.patterns[0].scope).toBe("request");
    expect(policy!.v1alpha2Features.map((f) => `${f.path}@${f.pos.line}:${f.pos.col}`)).toEqual([
      "metadata.signature@5:3",
      "spec.tool_rules[0].schema_hash@9:7",
      "spec.dlp.scan_requests@11:5",
      "spec.dlp.scan_responses@12:5",
      "spec.dlp.max_scan_size@13:5",
      "spec.dlp.on_request_match@14:5",
      "spec.dlp.on_redaction_failure@15:5",
      "spec.dlp.log_original_on_failure@16:5",
      "spec.dlp.patterns[0].scope@20:9",
      "spec.identity@21:3",
      "spec.server@32:3",
    ]);
  });

  it("a v1alpha2 document with only v1alpha1 fields uses no v1alpha2 feature", () => {
    const { policy } = ok(policyText("allowed_tools: [a]\ndlp:\n  patterns: [{ name: n, regex: x }]", "v1alpha2"));
    expect(policy!.v1alpha2Features).toEqual([]);
  });

  it.each([
    ["10/minute", 10, 60_000],
    ["5/s", 5, 1000],
    ["2/sec", 2, 1000],
    ["1/second", 1, 1000],
    ["3/min", 3, 60_000],
    ["7/m", 7, 60_000],
    ["100/hour", 100, 3_600_000],
    ["1/hr", 1, 3_600_000],
    ["9/h", 9, 3_600_000],
    ["007/minute", 7, 60_000],
  ])("rate_limit %s is %i per %i ms, no warning", (source, count, periodMs) => {
    const { policy, warnings } = ok(policyText(`tool_rules:\n  - tool: t\n    rate_limit: "${source}"`));
    expect(warnings).toEqual([]);
    expect(policy!.toolRules[0].rateLimit).toEqual({ count, periodMs, source });
  });

  it.each([" 10 / Minute ", "+5/second", "10/HOUR", "10 /min"])("rate_limit %j loads as in aip-go, with a warning", (source) => {
    const { policy, warnings } = ok(policyText(`tool_rules:\n  - tool: t\n    rate_limit: "${source}"`));
    expect(policy!.toolRules[0].rateLimit).not.toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: "spec.tool_rules[0].rate_limit", message: "rate limit is not in the canonical form" });
    expect(warnings[0].hint).toContain('"10/minute"');
  });

  it.each([
    ["yes", true],
    ["Yes", true],
    ["ON", true],
    ["y", true],
    ["no", false],
    ["off", false],
    ["N", false],
  ])("YAML 1.1 boolean %s is read as %s with a warning", (word, value) => {
    const { policy, warnings } = ok(policyText(`strict_args_default: ${word}`));
    expect(policy!.strictArgsDefault).toBe(value);
    expect(warnings).toEqual([
      expect.objectContaining({ line: SPEC_LINE, col: 24, path: "spec.strict_args_default", severity: "warning", message: `"${word}" is a YAML 1.1 boolean, read as ${value}`, hint: `write strict_args_default: ${value}` }),
    ]);
  });

  it("mode and action are lower-cased and trimmed like aip-go, with a warning", () => {
    const { policy, warnings } = ok(policyText('mode: Monitor\ntool_rules:\n  - tool: t\n    action: " ASK "'));
    expect(policy!.mode).toBe("monitor");
    expect(policy!.toolRules[0].action).toBe("ask");
    expect(warnings.map((w) => [w.path, w.message, w.hint])).toEqual([
      ["spec.mode", '"Monitor" is read as "monitor"', "write it in lower case without spaces: mode: monitor"],
      ["spec.tool_rules[0].action", '" ASK " is read as "ask"', "write it in lower case without spaces: action: ask"],
    ]);
  });

  it("an empty mode, action or rate_limit means the default, with a warning", () => {
    const { policy, warnings } = ok(policyText('mode: ""\ntool_rules:\n  - tool: t\n    action: ""\n    rate_limit: ""'));
    expect(policy!.mode).toBe("enforce");
    expect(policy!.toolRules[0]).toMatchObject({ action: "allow", rateLimit: null });
    expect(warnings.map((w) => w.path)).toEqual(["spec.mode", "spec.tool_rules[0].action", "spec.tool_rules[0].rate_limit"]);
  });

  it("an empty allowed_methods means the default list, with a warning", () => {
    const { policy, warnings } = ok(policyText("allowed_methods: []"));
    expect(policy!.allowedMethods).toBeNull();
    expect(warnings).toEqual([expect.objectContaining({ path: "spec.allowed_methods", message: "an empty allowed_methods means the default method list" })]);
  });

  it("anchors, aliases and merge keys are resolved", () => {
    const { policy, warnings } = ok(
      policyText(
        [
          "tool_rules:",
          "  - &guarded",
          "    tool: write_file",
          "    action: ask",
          "    allow_args: { path: &ws '^/workspace/' }",
          "  - <<: *guarded",
          "    tool: edit_file",
          "  - tool: read_file",
          "    allow_args: { path: *ws }",
        ].join("\n"),
      ),
    );
    expect(warnings).toEqual([]);
    expect(policy!.toolRules.map((r) => [r.tool.value, r.action, r.allowArgs.map((a) => a.regex.value)])).toEqual([
      ["write_file", "ask", ["^/workspace/"]],
      ["edit_file", "ask", ["^/workspace/"]],
      ["read_file", "allow", ["^/workspace/"]],
    ]);
  });

  it("max_scan_size sizes are binary", () => {
    expect(parseSize("1MB")).toBe(1_048_576);
    expect(parseSize("512KB")).toBe(524_288);
    expect(parseSize("10MB")).toBe(10_485_760);
    expect(parseSize("100B")).toBe(100);
    expect(parseSize("1GB")).toBe(1_073_741_824);
    expect(parseSize("1 MB")).toBeNull();
    expect(parseSize("0MB")).toBeNull();
  });

  it("durations follow Go syntax plus days", () => {
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("5")).toBeNull();
    expect(parseDuration("")).toBeNull();
    expect(parseDuration("5 m")).toBeNull();
  });

  it("parseRateLimit follows aip-go's ParseRateLimit", () => {
    expect(parseRateLimit("10/minute")).toEqual({ value: { count: 10, periodMs: 60_000, source: "10/minute" } });
    expect(parseRateLimit("\t+3 / SEC\n")).toEqual({ value: { count: 3, periodMs: 1000, source: "\t+3 / SEC\n" } });
    expect(parseRateLimit("10")).toHaveProperty("error");
    expect(parseRateLimit("1/2/minute")).toHaveProperty("error");
    expect(parseRateLimit("0/minute")).toHaveProperty("error");
    expect(parseRateLimit("-3/minute")).toHaveProperty("error");
    expect(parseRateLimit("1e3/minute")).toHaveProperty("error");
    expect(parseRateLimit("10/day")).toHaveProperty("error");
  });

  it("warnings do not stop the parse and come back sorted by line", () => {
    const text = policyText(
      ["allowed_tools: [a, b, a]", "protected_paths: [~/.ssh, /home/tester/.ssh, ~root/x]", "dlp:", "  enabled: yes", "  patterns: []"].join("\n"),
      "v1alpha1",
      "  name: My_Agent\n  version: v1\n  owner: Platform Team\n",
    );
    const { policy, warnings } = ok(text);
    expect(policy).toBeDefined();
    expect(warnings.map((w) => `${w.line}:${w.col} ${w.path}: ${w.message}`)).toEqual([
      "4:9 metadata.name: name is not a DNS label",
      "5:12 metadata.version: version is not semver",
      "6:10 metadata.owner: owner is not an email address",
      '8:25 spec.allowed_tools[2]: duplicate entry "a" (also at line 8)',
      '9:29 spec.protected_paths[1]: "/home/tester/.ssh" names the same path as "~/.ssh" (line 9)',
      '9:48 spec.protected_paths[2]: only a leading "~/" is expanded; "~root/x" is taken literally',
      '11:14 spec.dlp.enabled: "yes" is a YAML 1.1 boolean, read as true',
      "12:15 spec.dlp.patterns: dlp has no patterns, so DLP is off",
    ]);
    expect(warnings.every((w) => w.severity === "warning" && w.hint)).toBe(true);
  });

  it("a missing or empty spec is a warning: the policy then denies every tool", () => {
    const missing = ok("apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata: { name: x }\n");
    expect(missing.policy!.allowedTools).toEqual([]);
    expect(missing.warnings).toEqual([expect.objectContaining({ path: "spec", message: "the policy has no spec", hint: "add spec: { allowed_tools: [read_file] }" })]);
    const empty = ok("apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata: { name: x }\nspec:\n");
    expect(empty.warnings).toEqual([expect.objectContaining({ path: "spec", line: 4, col: 1, message: "spec has no value" })]);
  });

  it("a field with no value is treated as not set, with a warning", () => {
    const { policy, warnings } = ok(policyText("allowed_tools:\ndlp:"));
    expect(policy!.allowedTools).toEqual([]);
    expect(policy!.dlp).toBeNull();
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ["spec.allowed_tools", "empty value; treated as not set"],
      ["spec.dlp", "empty value; treated as not set"],
    ]);
  });

  it("warns about duplicate DLP pattern names, over-long names, fail_open without limits and late rotation", () => {
    const dlp = ok(policyText(`dlp:\n  patterns:\n    - { name: k, regex: a }\n    - { name: k, regex: b }\n    - { name: ${"x".repeat(65)}, regex: c }`));
    expect(dlp.warnings.map((w) => w.message)).toEqual(['two DLP patterns are named "k" (also at line 8)', "name is longer than 64 characters"]);
    const v2 = ok(policyText("server: { failover_mode: fail_open }\nidentity: { token_ttl: 10m, rotation_interval: 9m30s }", "v1alpha2"));
    expect(v2.warnings.map((w) => w.path)).toEqual(["spec.server.fail_open_constraints", "spec.identity.rotation_interval"]);
  });
});

describe("rejected policies", () => {
  it.each(Object.entries(rejections))("%s", (_name, r) => {
    const text = policyText(r.spec, r.version ?? "v1alpha1");
    const { errors, message } = run(text);
    const match = errors.find((e) => e.path === r.path);
    expect(match, `no error at ${r.path}; got:\n${message}`).toBeDefined();
    const m = match!;
    if (typeof r.message === "string") expect(m.message).toBe(r.message);
    else expect(m.message).toMatch(r.message);
    if (r.hint !== undefined) {
      if (typeof r.hint === "string") expect(m.hint).toBe(r.hint);
      else expect(m.hint).toMatch(r.hint);
    }
    if (r.at) expect([m.line, m.col]).toEqual([SPEC_LINE + r.at[0], r.at[1]]);
    expect(m.file).toBe("p.yaml");
    expect(message).toContain(`p.yaml:${m.line}:${m.col}: error: ${r.path}: ${m.message}`);
  });
});

describe("the document envelope", () => {
  const envelope = (head: string) => run(`${head}\nspec:\n  allowed_tools: [a]\n`);

  it("requires apiVersion, kind and metadata.name", () => {
    const { errors } = run("spec: {}\n");
    expect(errors.map((e) => [e.path, e.message, e.hint])).toEqual([
      ["apiVersion", "the policy has no apiVersion", "add apiVersion: aip.io/v1alpha1"],
      ["kind", "the policy has no kind", "add kind: AgentPolicy"],
      ["metadata", "the policy has no metadata", "add metadata: { name: my-agent }"],
    ]);
    expect(envelope("apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata: { version: 1.0.0 }").errors).toEqual([
      expect.objectContaining({ path: "metadata.name", message: "metadata has no name", hint: "add name: my-agent", line: 3, col: 11 }),
    ]);
  });

  it.each([
    ["aip.io/v1alpha3", "aip.io/v1alpha3 is not supported yet", /v1alpha2/],
    ["v1alpha1", 'apiVersion "v1alpha1" lacks the aip.io/ group', "write apiVersion: aip.io/v1alpha1"],
    ["aip.io/v2", '"aip.io/v2" is not a valid apiVersion', /valid values: aip.io\/v1alpha1, aip.io\/v1alpha2/],
    ["aip.io/v1alpha", '"aip.io/v1alpha" is not a valid apiVersion', /did you mean "aip.io\/v1alpha1"/],
  ])("rejects apiVersion %s", (v, message, hint) => {
    const { errors } = envelope(`apiVersion: ${v}\nkind: AgentPolicy\nmetadata: { name: x }`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: "apiVersion", line: 1, col: 13, message });
    expect(errors[0].hint).toMatch(hint);
  });

  it("kind is case-sensitive, with a hint", () => {
    const { errors } = envelope("apiVersion: aip.io/v1alpha1\nkind: agentpolicy\nmetadata: { name: x }");
    expect(errors).toEqual([expect.objectContaining({ path: "kind", message: '"agentpolicy" is not a valid kind', hint: 'did you mean "AgentPolicy"? valid values: AgentPolicy' })]);
  });

  it("an invalid apiVersion does not add version errors for v1alpha2 fields", () => {
    const { errors } = run(policyText("identity: { enabled: true }", "v9"));
    expect(errors.map((e) => e.path)).toEqual(["apiVersion"]);
  });

  it("the signature must be <alg>:<base64>", () => {
    const { errors } = run(policyText("allowed_tools: []", "v1alpha2", "  name: x\n  signature: rsa:abc\n"));
    expect(errors).toEqual([expect.objectContaining({ path: "metadata.signature", message: "not a policy signature", line: 5, col: 14 })]);
    expect(run(policyText("allowed_tools: []", "v1alpha1", "  name: x\n  signature: ed25519:abc\n")).errors[0]).toMatchObject({
      path: "metadata.signature",
      message: "a v1alpha2 field in a v1alpha1 policy",
    });
  });
});

describe("YAML-level errors", () => {
  it("reports syntax errors with line and column", () => {
    const { errors, message } = run("apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nspec:\n  allowed_tools: [a, b\n");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ file: "p.yaml", path: "" });
    expect(errors[0].line).toBeGreaterThanOrEqual(4);
    expect(message).toMatch(/^p\.yaml:\d+:\d+: error: /);
  });

  it("reports duplicate keys", () => {
    const { errors } = run("apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nkind: AgentPolicy\n");
    expect(errors[0]).toMatchObject({ line: 3, col: 1, message: "Map keys must be unique", hint: "a key may appear only once in a mapping; merge the two entries" });
  });

  it("reports tab indentation", () => {
    const { errors } = run("apiVersion: aip.io/v1alpha1\nspec:\n\tmode: enforce\n");
    expect(errors.some((e) => e.line === 3 && e.hint === "indent with spaces, not tabs")).toBe(true);
  });

  it("refuses several documents in one file", () => {
    const one = "apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata: { name: a }\nspec: {}\n";
    const { errors } = run(`${one}---\n${one}`);
    expect(errors).toEqual([expect.objectContaining({ line: 5, col: 1, message: "the file holds 2 YAML documents; a policy file holds exactly one", hint: 'remove the "---" separator, or put each policy in its own file' })]);
  });

  it("refuses a self-referencing alias, a non-string key and a bad merge key", () => {
    expect(run(policyText("allowed_tools: &x [*x]")).errors).toEqual([expect.objectContaining({ line: SPEC_LINE, col: 22, message: "alias *x cannot be resolved here" })]);
    expect(run(policyText("? [a]\n: b")).errors).toEqual([expect.objectContaining({ line: SPEC_LINE, col: 5, message: "a mapping key must be a plain string" })]);
    expect(run(policyText("<<: 5")).errors).toEqual([expect.objectContaining({ line: SPEC_LINE, col: 7, message: "a merge key (<<) needs a mapping or a list of mappings" })]);
  });

  it("names the right place for a field written at the wrong level", () => {
    const { errors } = run("apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata: { name: a }\nallowed_tools: [a]\n");
    expect(errors).toEqual([
      expect.objectContaining({ line: 4, col: 1, path: "allowed_tools", message: "unknown field", hint: "allowed_tools belongs at spec.allowed_tools or spec.server.fail_open_constraints.allowed_tools, not under the top level" }),
    ]);
  });

  it("refuses an empty file and a file that is not a mapping", () => {
    expect(run("").errors).toEqual([expect.objectContaining({ line: 1, col: 1, message: "the policy is empty" })]);
    expect(run("# only a comment\n").errors[0].message).toBe("the policy is empty");
    expect(run("- a\n- b\n").errors).toEqual([expect.objectContaining({ line: 1, col: 1, message: "a policy must be a mapping, found a list" })]);
  });
});

describe("diagnostics", () => {
  const broken = [
    "apiVersion: aip.io/v1alpha1",
    "kind: AgentPolicy",
    "metadata:",
    "  name: Broken_Agent",
    "spec:",
    "  mode: enforcing",
    "  alowed_tools: [read_file]",
    "  tool_rules:",
    "    - tool: fetch",
    "      action: deny",
    "      rate_limit: 10/minutes",
    "    - tool: fetch",
    "  identity:",
    "    enabled: true",
  ].join("\n");

  it("reports every problem at once, sorted by line, with file:line:col, path, message and hint", () => {
    let err: unknown;
    try {
      parsePolicy(broken, "policies/broken.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    const ds = (err as PolicyError).diagnostics;
    expect(ds.map((d) => `${d.line}:${d.col} ${d.severity} ${d.path}`)).toEqual([
      "4:9 warning metadata.name",
      "6:9 error spec.mode",
      "7:3 error spec.alowed_tools",
      "10:15 error spec.tool_rules[0].action",
      "11:19 error spec.tool_rules[0].rate_limit",
      "12:13 error spec.tool_rules[1].tool",
      "13:3 error spec.identity",
    ]);
    expect(ds.every((d) => d.hint)).toBe(true);
    expect((err as PolicyError).message.split("\n").slice(0, 6)).toEqual([
      "policies/broken.yaml:4:9: warning: metadata.name: name is not a DNS label",
      "  hint: use lower-case letters, digits and -, starting and ending with a letter or digit, e.g. code-review-agent",
      'policies/broken.yaml:6:9: error: spec.mode: "enforcing" is not a valid mode',
      '  hint: did you mean "enforce"? valid values: enforce, monitor, audit',
      "policies/broken.yaml:7:3: error: spec.alowed_tools: unknown field",
      "  hint: did you mean allowed_tools?",
    ]);
  });

  it("formats a diagnostic as file:line:col: severity: path: message", () => {
    expect(formatDiagnostic({ file: "a.yaml", line: 3, col: 5, path: "spec.mode", message: "bad", hint: "fix it", severity: "error" })).toBe("a.yaml:3:5: error: spec.mode: bad\n  hint: fix it");
  });
});

describe("loadPolicyFile", () => {
  it("reads a file and names it in messages", () => {
    const dir = mkdtempSync(join(tmpdir(), "toolgate-policy-"));
    const good = join(dir, "good.yaml");
    writeFileSync(good, policyText("allowed_tools: [a]"));
    expect(loadPolicyFile(good).policy.file).toBe(good);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, policyText("mode: x"));
    expect(() => loadPolicyFile(bad)).toThrow(`${bad}:${SPEC_LINE}:9: error: spec.mode`);
  });

  it("reports a missing file as a PolicyError", () => {
    expect(() => loadPolicyFile("/nonexistent/agent.yaml")).toThrow("/nonexistent/agent.yaml:1:1: error: cannot read the policy file: no such file");
  });
});

describe("mode", () => {
  const mode = (m: string) => parsePolicy(`apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata:\n  name: a\nspec:\n  mode: ${m}\n`, "a.yaml").policy.mode;
  it("reads audit (MeshGuard's name for it) as monitor, and the other two as written", () => {
    expect(mode("audit")).toBe("monitor");
    expect(mode("monitor")).toBe("monitor");
    expect(mode("enforce")).toBe("enforce");
  });
});
