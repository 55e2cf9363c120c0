// Constants of the bundle format, shared by the writer and the tests. The engine's reader is
// engine-as/src/bundle.ts; the layout is documented in docs/bundle-format.md. Keep the three in step.

export const MAGIC = 0x31424754; // "TGB1" little-endian
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 64;
export const SECTION_ENTRY = 16;

export const Section = {
  DATA: 1,
  CONFIG: 2,
  METHODS_ALLOWED: 3,
  METHODS_DENIED: 4,
  TOOLS: 5,
  RULES: 6,
  ARGS: 7,
  PATHS: 8,
  DLP: 9,
} as const;

export const CONFIG_SIZE = 64;
export const RULE_SIZE = 32;
export const ARG_SIZE = 16;
export const PATH_SIZE = 16;
export const DLP_HEADER = 16;
export const DLP_ENTRY = 24;
export const DLP_GROUP_ENTRY = 16;
/** After the groups: 32-byte separator bitmap, ref of the piece prefilter DFA. */
export const DLP_PIECES = 40;
/** Patterns per DLP prefilter DFA. */
export const DLP_GROUP = 3;
export const SLOT_SIZE = 16;
export const EMPTY = 0xffffffff;

export const ConfigFlag = {
  STRICT_DEFAULT: 1,
  MONITOR: 2,
  ALL_METHODS: 4,
  DLP: 8,
  DLP_STDERR: 16,
  DETECT_ENCODING: 32,
} as const;

export const ToolFlag = { ALLOWED: 1, DENIED: 2 } as const;
export const ActionCode = { allow: 0, block: 1, ask: 2 } as const;
export const PathKind = { CANONICAL: 0, SPELLING: 1 } as const;

/** AIP's default allowed_methods, plus the real MCP names of cancellation and roots notifications. */
export const DEFAULT_METHODS = [
  "initialize", "initialized", "ping", "tools/call", "tools/list", "completion/complete",
  "notifications/initialized", "notifications/progress", "notifications/message",
  "notifications/resources/updated", "notifications/resources/list_changed", "notifications/tools/list_changed",
  "notifications/prompts/list_changed", "cancelled", "notifications/cancelled", "notifications/roots/list_changed",
];

export const DEFAULT_MAX_MESSAGE_BYTES = 16 << 20;
export const DEFAULT_MAX_DEPTH = 64;

/** FNV-1a 32-bit: the hash of the bundle's name tables (engine: bundle.ts fnv1a). */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}
