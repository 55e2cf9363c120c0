// The `toolgate` command as a user runs it: real processes, real files, exit codes and output.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "..", "bin", "toolgate.js");
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), "toolgate-cli-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const GOOD = file("good.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: cli-test
spec:
  allowed_tools: [read_file]
  tool_rules:
    - tool: exec
      action: allow
      allow_args:
        command: "^ls( -la)?$"
`);

describe("toolgate CLI", () => {
  it("prints help and a version", () => {
    const h = run(["--help"]);
    expect(h.code).toBe(0);
    for (const c of ["validate", "compile", "eval", "conformance"]) expect(h.out).toContain(c);
    expect(run(["eval", "--help"]).out).toContain("--policy");
    expect(run(["--version"]).out).toMatch(/^\d+\.\d+\.\d+/);
    const bad = run(["frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command");
  });

  it("validates a good policy", () => {
    const r = run(["validate", GOOD]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok .*policy_hash [0-9a-f]{64}/);
  });

  it("reports every problem of a bad policy with file:line:column", () => {
    const bad = file("bad.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: bad
spec:
  alowed_tools: [read_file]
  tool_rules:
    - tool: exec
      allow_args:
        command: "^(?!rm).*$"
      rate_limit: "ten/minute"
`);
    const r = run(["validate", bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}:6:3`);
    expect(r.err).toContain("allowed_tools");
    expect(r.err).toMatch(/bad\.yaml:11:\d+/);
  });

  it("names the regex problem and its line", () => {
    const bad = file("regex.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: regex
spec:
  tool_rules:
    - tool: exec
      allow_args:
        command: "^(?!rm).*$"
`);
    const r = run(["validate", bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/regex\.yaml:9:\d+/);
    expect(r.err).toMatch(/lookahead|\(\?!/);
  });

  it("compiles a bundle and decides messages with it, from flags and from stdin", () => {
    const out = join(dir, "good.tgb");
    const c = run(["compile", GOOD, "-o", out]);
    expect(c.code).toBe(0);
    const hash = /policy_hash ([0-9a-f]{64})/.exec(c.out)![1];
    expect(readFileSync(out).subarray(0, 4).toString()).toBe("TGB1");

    const msg = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"exec","arguments":{"command":"rm -rf /"}}}`;
    const e = run(["eval", "--policy", out, "--message", msg]);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out)).toEqual({
      decision: "BLOCK", error_code: -32001, violation: true, rule: "tool_rules[0].allow_args.command",
      reason: "Argument validation failed for command", policy_hash: hash,
    });

    const lines = [
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{}}}`,
      "",
      `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"exec","arguments":{"command":"ls"}}}`,
      `not json`,
    ].join("\n");
    const s = run(["eval", "--policy", GOOD], lines);
    const decisions = s.out.trim().split("\n").map((l) => JSON.parse(l));
    expect(decisions.map((d) => [d.decision, d.error_code])).toEqual([["ALLOW", null], ["ALLOW", null], ["BLOCK", -32700]]);
  });

  it("runs conformance vectors with a table and with --json", () => {
    const vectors = file("v.yaml", `tests:
  - id: v-1
    description: allowed
    policy: |
      apiVersion: aip.io/v1alpha1
      kind: AgentPolicy
      metadata: {name: v}
      spec: {allowed_tools: [a]}
    input: {method: tools/call, tool: a, args: {}}
    expected: {decision: ALLOW, error_code: null}
  - id: v-2
    description: wrong on purpose
    policy: |
      apiVersion: aip.io/v1alpha1
      kind: AgentPolicy
      metadata: {name: v}
      spec: {allowed_tools: [a]}
    input: {method: tools/call, tool: b, args: {}}
    expected: {decision: ALLOW}
`);
    const t = run(["conformance", vectors, "--host", "engine"]);
    expect(t.code).toBe(1);
    expect(t.out).toContain("FAIL");
    expect(t.out).toContain("conformance: 1 passed, 1 failed");
    const j = run(["conformance", vectors, "--json"]);
    const summary = JSON.parse(j.out);
    expect(summary).toMatchObject({ host: "engine", total: 2, passed: 1, failed: 1 });
    expect(summary.failures[0].id).toBe("v-2");
    const missing = run(["conformance", join(dir, "absent")]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("no such file");
  });
});
