// The policy front end: AgentPolicy YAML -> validated IR (types.ts).
export { parsePolicy, loadPolicyFile, type ParseOptions, type ParseResult } from "./parse.ts";
export { PolicyError, formatDiagnostic } from "./types.ts";
export type * from "./types.ts";
export { agentPolicySchema } from "./json-schema.ts";
