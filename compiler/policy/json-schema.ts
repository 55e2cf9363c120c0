// Generates agent-policy.schema.json (JSON Schema draft 2020-12, for editors) from the field table.
// Regenerate with: npx tsx compiler/policy/json-schema.ts --write

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { API_VERSIONS, DOCUMENT, type ObjectSpec, type Requirement, type Spec } from "./fields.ts";

type Version = "v1alpha1" | "v1alpha2";
type Schema = Record<string, unknown>;

function schemaOf(spec: Spec, version: Version): Schema {
  const s: Schema = { description: spec.doc };
  if (spec.default !== undefined) s.default = spec.default;
  switch (spec.type) {
    case "string":
      s.type = "string";
      if (spec.enum) s.enum = [...spec.enum];
      else s.minLength = 1;
      if (spec.pattern) s.pattern = spec.pattern.re.source;
      if (spec.maxLength) s.maxLength = spec.maxLength.n;
      break;
    case "boolean":
      s.type = "boolean";
      break;
    case "integer":
      s.type = "integer";
      s.minimum = spec.minimum;
      break;
    case "list":
      s.type = "array";
      s.items = schemaOf(spec.items, version);
      if (spec.unique) s.uniqueItems = true;
      if (spec.minItems) s.minItems = spec.minItems.n;
      break;
    case "map":
      s.type = "object";
      s.propertyNames = { minLength: 1, description: spec.keyDoc };
      s.additionalProperties = schemaOf(spec.values, version);
      break;
    case "object":
      return { ...s, ...objectSchema(spec, version) };
  }
  return s;
}

function objectSchema(spec: ObjectSpec, version: Version): Schema {
  const fields = Object.entries(spec.fields).filter(([, f]) => version === "v1alpha2" || f.since !== "v1alpha2");
  const s: Schema = {
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(fields.map(([k, f]) => [k, schemaOf(f, version)])),
  };
  const required = fields.filter(([, f]) => f.required).map(([k]) => k);
  if (required.length) s.required = required;
  const conditions = (spec.requirements ?? []).filter((r) => Object.keys(r.when).every((k) => fields.some(([f]) => f === k)));
  if (conditions.length) s.allOf = conditions.map(requirementSchema);
  return s;
}

/** "when ... then ... is required" as if/then. */
function requirementSchema(r: Requirement): Schema {
  const when: Schema = {};
  for (const [k, c] of Object.entries(r.when)) {
    if ("const" in c) when[k] = { const: c.const };
    else if ("in" in c) when[k] = { enum: c.in };
    else if ("notPattern" in c) when[k] = { not: { pattern: c.notPattern.source } };
  }
  const then: Schema = {};
  for (const req of r.require) {
    let node = then;
    const parts = req.split(".");
    parts.forEach((part, i) => {
      node.required = [...new Set([...((node.required as string[]) ?? []), part])];
      if (i < parts.length - 1) {
        const props = (node.properties ??= {}) as Record<string, Schema>;
        node = props[part] ??= {};
      }
    });
  }
  return { description: r.message, if: { required: Object.keys(r.when), properties: when }, then };
}

export function agentPolicySchema(): Schema {
  const doc = (v: Version, apiVersion: string): Schema => {
    const s = objectSchema(DOCUMENT, v);
    (s.properties as Record<string, Schema>).apiVersion = { description: `Policy format version.`, const: apiVersion };
    return { description: `An AgentPolicy in format ${apiVersion}.`, ...s };
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "AIP AgentPolicy",
    description:
      "An AIP AgentPolicy (aip.io/v1alpha1 or aip.io/v1alpha2) as read by toolgate. Generated from compiler/policy/fields.ts; do not edit by hand.",
    type: "object",
    required: ["apiVersion", "kind", "metadata", "spec"],
    properties: { apiVersion: { description: "Policy format version.", enum: [...API_VERSIONS] } },
    allOf: API_VERSIONS.map((apiVersion) => ({
      if: { required: ["apiVersion"], properties: { apiVersion: { const: apiVersion } } },
      then: { $ref: `#/$defs/${apiVersion.slice("aip.io/".length)}` },
    })),
    $defs: Object.fromEntries(API_VERSIONS.map((a) => [a.slice("aip.io/".length), doc(a.slice("aip.io/".length) as Version, a)])),
  };
}

export const SCHEMA_FILE = fileURLToPath(new URL("./agent-policy.schema.json", import.meta.url));

export const renderSchema = (): string => JSON.stringify(agentPolicySchema(), null, 2) + "\n";

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--write")) {
  writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
