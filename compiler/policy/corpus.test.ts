// Every policy toolgate must accept: the AIP conformance vectors (read in place) and our examples.
import { describe, expect, it } from "vitest";
import { parsePolicy } from "./parse.ts";
import { EXAMPLES_DIR, examplePolicies, vectorPolicies } from "./test-helpers.ts";
import { loadPolicyFile } from "./parse.ts";
import { join } from "node:path";

describe("AIP conformance vector policies", () => {
  const vectors = vectorPolicies();

  it("are all found (basic and full suites)", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(51);
  });

  it.each(vectors)("%s parses without errors or warnings", (name, text) => {
    const { policy, warnings } = parsePolicy(text, name);
    expect(warnings).toEqual([]);
    expect(policy.metadata.name).toBe("test-policy");
  });
});

describe("examples", () => {
  it("are the documented set", () => {
    expect(examplePolicies().map(([f]) => f)).toEqual(["agent.yaml", "demo.yaml", "dlp.yaml", "everything.yaml", "monitor-mode.yaml", "read-only.yaml"]);
  });

  it.each(examplePolicies())("%s parses without errors or warnings", (file) => {
    const { policy, warnings } = loadPolicyFile(join(EXAMPLES_DIR, file));
    expect(warnings).toEqual([]);
    expect(policy.v1alpha2Features).toEqual([]);
  });

  it("dlp.yaml has the nine usual secret patterns", () => {
    const { policy } = loadPolicyFile(join(EXAMPLES_DIR, "dlp.yaml"));
    expect(policy.dlp!.patterns.map((p) => p.name.value)).toEqual([
      "AWS Access Key", "GitHub Token", "Generic API Key", "Private Key", "Slack Token", "Stripe Key", "JWT", "Email", "Credit Card",
    ]);
  });

  it("no example regex uses lookaround or backreferences (RE2 has neither)", () => {
    for (const [file] of examplePolicies()) {
      const { policy } = loadPolicyFile(join(EXAMPLES_DIR, file));
      const regexes = [...policy.toolRules.flatMap((r) => r.allowArgs.map((a) => a.regex.value)), ...(policy.dlp?.patterns.map((p) => p.regex.value) ?? [])];
      for (const re of regexes) expect(re, `${file}: ${re}`).not.toMatch(/\(\?<?[=!]|\\[1-9]/);
    }
  });

  it("monitor-mode.yaml is in monitor mode and everything.yaml blocks the environment dump", () => {
    expect(loadPolicyFile(join(EXAMPLES_DIR, "monitor-mode.yaml")).policy.mode).toBe("monitor");
    const rules = loadPolicyFile(join(EXAMPLES_DIR, "everything.yaml")).policy.toolRules;
    expect(rules.find((r) => r.tool.value === "get-env")?.action).toBe("block");
  });
});
