import { Ajv2020 } from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { DOCUMENT, fieldPaths } from "./fields.ts";
import { SCHEMA_FILE, renderSchema } from "./json-schema.ts";
import { cleanCases, examplePolicies, policyText, rejections, run, vectorPolicies, warningCases } from "./test-helpers.ts";

const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(schema);

function schemaErrors(text: string): string[] {
  const valid = validate(parse(text, { merge: true }));
  return valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

describe("agent-policy.schema.json", () => {
  it("is up to date with the field table (regenerate: npx tsx compiler/policy/json-schema.ts --write)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(renderSchema());
  });

  it("is draft 2020-12 and describes every property", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    const missing: string[] = [];
    const visit = (node: unknown, at: string) => {
      if (!node || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      for (const [k, sub] of Object.entries((n.properties as Record<string, Record<string, unknown>>) ?? {})) {
        if (!sub.description) missing.push(`${at}.${k}`);
        visit(sub, `${at}.${k}`);
      }
      if (n.items) visit(n.items, `${at}[]`);
      if (n.additionalProperties && typeof n.additionalProperties === "object") visit(n.additionalProperties, `${at}.*`);
    };
    for (const [v, def] of Object.entries(schema.$defs)) visit(def, v);
    expect(missing).toEqual([]);
  });

  it("closes every object (additionalProperties: false)", () => {
    const open: string[] = [];
    const visit = (node: Record<string, unknown>, at: string) => {
      if (node.type === "object" && node.properties && node.additionalProperties !== false) open.push(at);
      for (const [k, sub] of Object.entries((node.properties as Record<string, Record<string, unknown>>) ?? {})) visit(sub, `${at}.${k}`);
      if (node.items) visit(node.items as Record<string, unknown>, `${at}[]`);
    };
    for (const [v, def] of Object.entries(schema.$defs)) visit(def as Record<string, unknown>, v);
    expect(open).toEqual([]);
  });

  it("has v1alpha2-only fields in the v1alpha2 definition only", () => {
    const v1 = schema.$defs.v1alpha1.properties.spec.properties;
    const v2 = schema.$defs.v1alpha2.properties.spec.properties;
    expect(Object.keys(v1)).not.toContain("identity");
    expect(Object.keys(v2)).toEqual(expect.arrayContaining(["identity", "server"]));
    expect(Object.keys(v1.dlp.properties)).toEqual(["enabled", "detect_encoding", "filter_stderr", "patterns"]);
    expect(v2.tool_rules.items.properties).toHaveProperty("schema_hash");
  });

  it.each(examplePolicies())("accepts example %s", (_name, text) => {
    expect(schemaErrors(text)).toEqual([]);
  });

  it.each(vectorPolicies())("accepts vector policy %s", (_name, text) => {
    expect(schemaErrors(text)).toEqual([]);
  });

  it.each([
    ["alowed_tools", "/spec must NOT have additional properties"],
    ["tool_rule", "/spec must NOT have additional properties"],
    ["stric_args_default", "/spec must NOT have additional properties"],
  ])("rejects the typo %s", (typo, error) => {
    expect(schemaErrors(policyText(`${typo}: []`))).toContain(error);
  });

  it("rejects typos in nested fields, enums and patterns", () => {
    expect(schemaErrors(policyText("tool_rules:\n  - tool: t\n    allow_arg: {}"))).toContain("/spec/tool_rules/0 must NOT have additional properties");
    expect(schemaErrors(policyText("mode: enforcing"))).toContain("/spec/mode must be equal to one of the allowed values");
    expect(schemaErrors(policyText("tool_rules:\n  - tool: t\n    rate_limit: 10/minutes"))).toContain('/spec/tool_rules/0/rate_limit must match pattern "^0*[1-9][0-9]{0,8}\\/(second|sec|s|minute|min|m|hour|hr|h)$"');
    expect(schemaErrors(policyText("identity: {}"))).toContain("/spec must NOT have additional properties");
    expect(schemaErrors(policyText("allowed_tools: []", "v1alpha3"))).toContain("/apiVersion must be equal to one of the allowed values");
  });
});

// The schema and parsePolicy must agree: a policy is schema-valid exactly when parsePolicy reports nothing,
// except for the cross-field checks a JSON Schema cannot express (each case names its reason).
describe("schema and parsePolicy agree", () => {
  const agree = (text: string, parser: "clean" | "warning" | "error", beyondSchema?: string) => {
    const r = run(text);
    const outcome = r.errors.length ? "error" : r.warnings.length ? "warning" : "clean";
    expect(outcome, r.message).toBe(parser);
    const schemaValid = schemaErrors(text).length === 0;
    expect(schemaValid, `schema ${schemaValid ? "accepts" : "rejects"}; beyond schema: ${beyondSchema ?? "no"}`).toBe(beyondSchema !== undefined || parser === "clean");
  };

  it.each(Object.entries(cleanCases))("clean: %s", (_n, c) => agree(policyText(c.spec, c.version, c.metadata), "clean"));
  it.each(Object.entries(warningCases))("warning: %s", (_n, c) => agree(policyText(c.spec, c.version, c.metadata), "warning", c.beyondSchema));
  it.each(Object.entries(rejections))("error: %s", (_n, c) => agree(policyText(c.spec, c.version ?? "v1alpha1"), "error", c.beyondSchema));
  it.each(examplePolicies())("example %s", (_n, text) => agree(text, "clean"));
  it.each(vectorPolicies())("vector %s", (_n, text) => agree(text, "clean"));
});

describe("docs/policy.md", () => {
  it("documents every field of the table", () => {
    const doc = readFileSync(new URL("../../docs/policy.md", import.meta.url), "utf8");
    const undocumented = fieldPaths(DOCUMENT)
      .map((f) => f.path.replace(/\[\]/g, "[]"))
      .filter((p) => !doc.includes(`\`${p}\``));
    expect(undocumented).toEqual([]);
  });
});
