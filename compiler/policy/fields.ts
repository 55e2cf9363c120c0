// The one description of the AgentPolicy format. The validator (walk.ts) and the JSON Schema generator
// (json-schema.ts) both read this table, so the editor schema and `parsePolicy` cannot drift apart.
//
// Severity convention: a "warning" marks something aip-go loads but the AIP schema rejects (toolgate is a
// drop-in, so it must load the same files); an "error" marks something that is wrong or unsafe.

import { parseRateLimit } from "./values.ts";

export type Severity = "error" | "warning";

export interface Issue {
  severity: Severity;
  message: string;
  hint?: string;
}

/** A regex that the value must match; emitted verbatim as the JSON Schema `pattern`. */
export interface Pattern extends Issue {
  re: RegExp;
}

interface Base {
  doc: string; // description: JSON Schema `description` and the reference docs
  since?: "v1alpha2"; // only allowed with apiVersion aip.io/v1alpha2; recorded in Policy.v1alpha2Features
  required?: Severity; // severity of "missing"
  default?: unknown; // documentation only (JSON Schema `default`)
  example?: string; // shown in "missing" hints: "add <example>"
}

export interface StringSpec extends Base {
  type: "string";
  enum?: readonly string[];
  /** aip-go lower-cases and trims this enum, so other spellings load there: only a warning here. */
  foldCase?: boolean;
  /** Severity of an empty string. aip-go reads "" as "not set" for optional fields. */
  empty?: Severity;
  /** Semantic check beyond the pattern; when it reports an error, the pattern is not checked. */
  check?: (s: string) => Issue | undefined;
  pattern?: Pattern;
  maxLength?: { n: number } & Issue;
}

export interface BoolSpec extends Base {
  type: "boolean";
}

export interface IntSpec extends Base {
  type: "integer";
  minimum: number;
}

export interface ListSpec extends Base {
  type: "list";
  items: Spec;
  unique?: boolean; // duplicates are a warning (the schema's uniqueItems)
  minItems?: { n: number } & Issue;
}

/** "when these fields have these values, those fields are required": checked here, `if`/`then` in the schema. */
export interface Requirement extends Issue {
  when: Record<string, { const: string | boolean } | { in: string[] } | { notPattern: RegExp } | { present: true }>;
  require: string[]; // dotted paths relative to the object, e.g. "tls.cert"
}

export interface ObjectSpec extends Base {
  type: "object";
  fields: Record<string, Spec>;
  requirements?: Requirement[];
}

/** A mapping with free-form keys (allow_args: argument name -> regex). */
export interface MapSpec extends Base {
  type: "map";
  keyDoc: string;
  values: Spec;
}

export type Spec = StringSpec | BoolSpec | IntSpec | ListSpec | ObjectSpec | MapSpec;

// ---- value patterns ------------------------------------------------------------------------------------

export const API_VERSIONS = ["aip.io/v1alpha1", "aip.io/v1alpha2"] as const;

// Go duration syntax (time.ParseDuration, no sign), plus `d` for days because the spec's own default
// for keys.rotation_period is "7d".
export const DURATION_RE = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d))+)$/;
export const SIZE_RE = /^[1-9][0-9]*(B|KB|MB|GB)$/;
const PORT = "([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
export const LISTEN_RE = new RegExp(`^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+|\\*)?:${PORT}$`);
/** Hosts that may serve plain HTTP (aip-go: the prefixes 127.0.0.1:, localhost:, [::1]:). */
export const LOCAL_LISTEN_RE = /^(127\.0\.0\.1|localhost|\[::1\]):/;
// Canonical rate limit (the AIP schema's form). aip-go also loads spaces, capitals and a leading `+`.
export const RATE_LIMIT_RE = /^0*[1-9][0-9]{0,8}\/(second|sec|s|minute|min|m|hour|hr|h)$/;

const duration = (doc: string, def?: string): StringSpec => ({
  type: "string",
  doc,
  default: def,
  pattern: {
    re: DURATION_RE,
    severity: "error",
    message: "not a duration",
    hint: 'write a Go duration such as "30s", "5m", "1h30m" (units ns, us, ms, s, m, h; d = 24h)',
  },
});

const enumOf = (values: readonly string[], doc: string, def?: string): StringSpec => ({
  type: "string",
  enum: values,
  doc,
  default: def,
});

const text = (doc: string, extra: Partial<StringSpec> = {}): StringSpec => ({ type: "string", doc, ...extra });
const bool = (doc: string, def?: boolean): BoolSpec => ({ type: "boolean", doc, default: def });
const names = (doc: string, itemDoc: string): ListSpec => ({
  type: "list",
  doc,
  unique: true,
  items: text(itemDoc),
});
const endpoint = (doc: string, def: string): StringSpec =>
  text(doc, {
    default: def,
    pattern: {
      re: /^\/[a-zA-Z0-9/_-]*$/,
      severity: "error",
      message: "not an endpoint path",
      hint: `an absolute URL path such as "${def}" (letters, digits, /, _ and -)`,
    },
  });

// ---- the format ----------------------------------------------------------------------------------------

const toolRule: ObjectSpec = {
  type: "object",
  doc: "A per-tool rule: action, rate limit and argument constraints. Its tool also counts as allowed.",
  fields: {
    tool: text("Tool name as the MCP server reports it; matched after name normalization (NFKC, lower case, trim).", {
      required: "error",
      example: "tool: read_file",
    }),
    action: {
      ...enumOf(["allow", "block", "ask"], "allow: permitted subject to argument checks; block: always denied; ask: needs human approval.", "allow"),
      foldCase: true,
      empty: "warning",
    },
    rate_limit: text(
      'Maximum call rate, "<count>/<period>" with period second|sec|s, minute|min|m or hour|hr|h. A token bucket that starts full (burst = count).',
      {
        empty: "warning",
        check: (s) => {
          const r = parseRateLimit(s);
          return "error" in r ? { severity: "error", ...r.error } : undefined;
        },
        pattern: {
          re: RATE_LIMIT_RE,
          severity: "warning",
          message: "rate limit is not in the canonical form",
          hint: 'write it as "<count>/<period>" in lower case without spaces, e.g. "10/minute"',
        },
      },
    ),
    strict_args: bool("Reject arguments not listed in allow_args. Unset: inherit spec.strict_args_default."),
    allow_args: {
      type: "map",
      doc: "Argument name -> RE2 regex. Each listed argument must be present and its string form must match (unanchored, like Go: anchor with ^...$).",
      keyDoc: "Argument name (exact, case-sensitive).",
      values: text("RE2 regular expression (no lookaround, no backreferences)."),
    },
    schema_hash: text('Expected hash of the tool definition, "<sha256|sha384|sha512>:<hex>" over its RFC 8785 JSON.', {
      since: "v1alpha2",
      pattern: {
        re: /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/,
        severity: "error",
        message: "not a schema hash",
        hint: 'write "sha256:" followed by 64 lower-case hex digits (sha384: 96, sha512: 128)',
      },
    }),
  },
};

const dlpPattern: ObjectSpec = {
  type: "object",
  doc: "A secret pattern. Matches are replaced by [REDACTED:<name>].",
  fields: {
    name: text("Label used in the redaction marker and the audit log.", {
      required: "error",
      example: 'name: "AWS Access Key"',
      maxLength: { n: 64, severity: "warning", message: "name is longer than 64 characters", hint: "the AIP schema allows 1-64 characters" },
    }),
    regex: text("RE2 regular expression (no lookaround, no backreferences).", { required: "error", example: 'regex: "AKIA[0-9A-Z]{16}"' }),
    scope: { ...enumOf(["request", "response", "all"], "Where the pattern applies.", "all"), since: "v1alpha2" },
  },
};

const dlp: ObjectSpec = {
  type: "object",
  doc: "Data loss prevention: redact secrets from tool results (and, with v1alpha2, from tool arguments).",
  fields: {
    enabled: bool("Master switch. Defaults to true when the dlp block is present.", true),
    detect_encoding: bool("Also decode base64 and hex segments and scan the decoded text.", false),
    filter_stderr: bool("Also redact the MCP server's stderr.", false),
    patterns: {
      type: "list",
      doc: "Secret patterns, applied in order.",
      required: "warning",
      example: "patterns: [{ name: AWS Access Key, regex: 'AKIA[0-9A-Z]{16}' }]",
      items: dlpPattern,
      minItems: { n: 1, severity: "warning", message: "dlp has no patterns, so DLP is off", hint: "add at least one entry under dlp.patterns, or remove the dlp block" },
    },
    scan_requests: { ...bool("Scan tool arguments before forwarding.", false), since: "v1alpha2" },
    scan_responses: { ...bool("Scan tool results.", true), since: "v1alpha2" },
    max_scan_size: text('Scan at most this much of each message, e.g. "1MB", "512KB" (1KB = 1024 bytes).', {
      since: "v1alpha2",
      default: "1MB",
      pattern: { re: SIZE_RE, severity: "error", message: "not a size", hint: 'write a positive whole number followed by B, KB, MB or GB, e.g. "1MB"' },
    }),
    on_request_match: { ...enumOf(["block", "redact", "warn"], "What to do when a request argument matches.", "block"), since: "v1alpha2" },
    on_redaction_failure: {
      ...enumOf(["block", "allow_original", "reject"], "What to do when redaction fails (reject: -32014).", "block"),
      since: "v1alpha2",
    },
    log_original_on_failure: { ...bool("Log the unredacted content when redaction fails (sensitive).", false), since: "v1alpha2" },
  },
};

const identity: ObjectSpec = {
  type: "object",
  doc: "Identity tokens bound to the session (v1alpha2).",
  since: "v1alpha2",
  fields: {
    enabled: bool("Issue and check identity tokens.", false),
    token_ttl: duration("Token lifetime; at most 1h.", "5m"),
    rotation_interval: duration('Rotate tokens this often; must be less than token_ttl; "0s" disables rotation.', "4m"),
    require_token: bool("Every tool call must carry a valid token (-32008 otherwise).", false),
    session_binding: enumOf(["process", "policy", "strict"], "What a token is bound to.", "process"),
    nonce_window: duration("How long nonces are kept for replay detection; at least token_ttl. Default: token_ttl."),
    policy_transition_grace: duration("How long tokens for the previous policy stay valid after a policy change.", "0s"),
    audience: text("Token audience (a URI or metadata.name); no wildcards. Default: metadata.name.", {
      pattern: { re: /^[^*\s]+$/, severity: "error", message: "audience must not contain wildcards or spaces", hint: "name exactly one audience" },
    }),
    nonce_storage: {
      type: "object",
      doc: "Where nonces are recorded.",
      fields: {
        type: enumOf(["memory", "redis", "postgres"], "Store type; memory is per process.", "memory"),
        address: text("Connection string (required for redis and postgres)."),
        key_prefix: text("Key prefix.", { default: "aip:nonce:" }),
        clock_skew_tolerance: duration("Added to the nonce TTL.", "30s"),
      },
      requirements: [
        {
          when: { type: { in: ["redis", "postgres"] } },
          require: ["address"],
          severity: "error",
          message: "nonce_storage.address is required for this store type",
          hint: 'add address: "redis://host:6379" (or a postgres connection string)',
        },
      ],
    },
    keys: {
      type: "object",
      doc: "Token signing keys.",
      fields: {
        signing_algorithm: enumOf(["ES256", "ES384", "EdDSA", "RS256", "HS256"], "Token signature algorithm (HS256 is refused when the server is enabled).", "ES256"),
        key_source: enumOf(["generate", "file", "external"], "Where the signing key comes from.", "generate"),
        key_path: text("PEM file (required when key_source is file)."),
        rotation_period: duration("Key rotation period.", "7d"),
        grace_period: duration("How long a rotated-out key still verifies."),
        jwks_endpoint: endpoint("Path of the JWKS endpoint.", "/v1/jwks"),
      },
      requirements: [
        {
          when: { key_source: { const: "file" } },
          require: ["key_path"],
          severity: "error",
          message: "keys.key_path is required when key_source is file",
          hint: 'add key_path: "/etc/toolgate/signing-key.pem"',
        },
      ],
    },
  },
};

const server: ObjectSpec = {
  type: "object",
  doc: "HTTP validation server (v1alpha2).",
  since: "v1alpha2",
  fields: {
    enabled: bool("Start the HTTP server.", false),
    listen: text('Address, "host:port" or ":port". TLS is required unless the host is 127.0.0.1, localhost or [::1].', {
      default: "127.0.0.1:9443",
      pattern: { re: LISTEN_RE, severity: "error", message: "not a listen address", hint: 'write "host:port" with a port from 0 to 65535, e.g. "127.0.0.1:9443" or "[::1]:9443"' },
    }),
    failover_mode: enumOf(["fail_closed", "fail_open", "local_policy"], "What clients do when the server does not answer in time.", "fail_closed"),
    timeout: duration("How long a client waits for the server before failover applies.", "5s"),
    tls: {
      type: "object",
      doc: "TLS (minimum version 1.2).",
      fields: {
        cert: text("PEM certificate file."),
        key: text("PEM private key file."),
        client_ca: text("CA bundle for client certificates (mTLS)."),
        require_client_cert: bool("Require and verify client certificates (needs client_ca).", false),
      },
      requirements: [
        { when: { cert: { present: true } }, require: ["key"], severity: "error", message: "tls.cert needs tls.key", hint: "add the private key file: key: /path/to/key.pem" },
        { when: { key: { present: true } }, require: ["cert"], severity: "error", message: "tls.key needs tls.cert", hint: "add the certificate file: cert: /path/to/cert.pem" },
        {
          when: { require_client_cert: { const: true } },
          require: ["client_ca"],
          severity: "error",
          message: "require_client_cert needs client_ca",
          hint: "add client_ca: /path/to/ca.pem; without it aip-go silently disables mTLS",
        },
      ],
    },
    fail_open_constraints: {
      type: "object",
      doc: "Limits that apply while failover_mode is fail_open.",
      fields: {
        allowed_tools: names("Only these tools may run while failing open.", "Tool name."),
        max_duration: duration("Revert to fail_closed after this long."),
        max_requests: { type: "integer", minimum: 1, doc: "Revert to fail_closed after this many requests." },
        alert_webhook: text("URL notified when failing open.", {
          pattern: { re: /^https?:\/\/\S+$/, severity: "error", message: "not an http(s) URL", hint: 'write a URL such as "https://alerts.example.com/hook"' },
        }),
        require_local_policy: bool("Fail open only when a valid local policy is loaded.", false),
      },
    },
    endpoints: {
      type: "object",
      doc: "Endpoint paths.",
      fields: {
        validate: endpoint("Validation endpoint.", "/v1/validate"),
        revoke: endpoint("Revocation endpoint.", "/v1/revoke"),
        jwks: endpoint("JWKS endpoint.", "/v1/jwks"),
        health: endpoint("Health endpoint.", "/health"),
        metrics: endpoint("Prometheus metrics endpoint.", "/metrics"),
      },
    },
  },
  requirements: [
    {
      when: { enabled: { const: true }, listen: { notPattern: LOCAL_LISTEN_RE } },
      require: ["tls.cert", "tls.key"],
      severity: "error",
      message: "TLS is required when the server listens on a non-localhost address",
      hint: "add tls.cert and tls.key, or listen on 127.0.0.1, localhost or [::1]",
    },
    {
      when: { failover_mode: { const: "fail_open" } },
      require: ["fail_open_constraints"],
      severity: "warning",
      message: "fail_open without fail_open_constraints lets every call through while the server is down",
      hint: "add fail_open_constraints (allowed_tools, max_duration, max_requests)",
    },
  ],
};

const spec: ObjectSpec = {
  type: "object",
  doc: "The policy rules. Without a spec every tool call is denied.",
  required: "warning",
  example: "spec: { allowed_tools: [read_file] }",
  fields: {
    mode: { ...enumOf(["enforce", "monitor", "audit"], "enforce: violations are denied; monitor (or audit, its name in MeshGuard): logged and let through (rate limits and protected paths still apply).", "enforce"), foldCase: true, empty: "warning" },
    allowed_tools: names("Tools the agent may call. Tools named in tool_rules are allowed too. Empty: no tools.", "Tool name (normalized)."),
    denied_tools: names("Tools that are always denied (aip-go extension; mode-aware).", "Tool name (normalized)."),
    allowed_methods: {
      ...names('JSON-RPC methods allowed; replaces the default list. "*" allows every method not denied.', "Method name (normalized) or *."),
      minItems: { n: 1, severity: "warning", message: "an empty allowed_methods means the default method list", hint: "remove the key to use the defaults, or list the methods to allow" },
    },
    denied_methods: names("JSON-RPC methods always denied; wins over allowed_methods and *.", "Method name (normalized)."),
    protected_paths: names("Paths no tool argument may touch (-32007, enforced in every mode). A leading ~/ is the home directory.", "File or directory path."),
    strict_args_default: bool("Default for tool_rules[].strict_args.", false),
    tool_rules: { type: "list", doc: "Per-tool rules, at most one per tool.", items: toolRule },
    dlp,
    identity,
    server,
  },
};

export const DOCUMENT: ObjectSpec = {
  type: "object",
  doc: "An AIP AgentPolicy.",
  fields: {
    apiVersion: {
      ...enumOf(API_VERSIONS, "Policy format version: aip.io/v1alpha1 or aip.io/v1alpha2."),
      required: "error",
      example: "apiVersion: aip.io/v1alpha1",
      check: (s) => {
        if (s === "aip.io/v1alpha3")
          return { severity: "error", message: "aip.io/v1alpha3 is not supported yet", hint: "use aip.io/v1alpha2; v1alpha3 (agent authentication tokens, registry) is planned" };
        if ((API_VERSIONS as readonly string[]).includes(`aip.io/${s}`))
          return { severity: "error", message: `apiVersion ${JSON.stringify(s)} lacks the aip.io/ group`, hint: `write apiVersion: aip.io/${s}` };
        return undefined;
      },
    },
    kind: { ...enumOf(["AgentPolicy"], "Always AgentPolicy."), required: "error", example: "kind: AgentPolicy" },
    metadata: {
      type: "object",
      doc: "Who the policy is for and who owns it.",
      required: "error",
      example: "metadata: { name: my-agent }",
      fields: {
        name: text("Agent name: log name and token agent_id. A DNS label: lower case, digits and -.", {
          required: "error",
          example: "name: my-agent",
          pattern: {
            re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
            severity: "warning",
            message: "name is not a DNS label",
            hint: "use lower-case letters, digits and -, starting and ending with a letter or digit, e.g. code-review-agent",
          },
          maxLength: { n: 253, severity: "warning", message: "name is longer than 253 characters" },
        }),
        version: text("Policy version (semver).", {
          empty: "warning",
          pattern: { re: /^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, severity: "warning", message: "version is not semver", hint: 'write "MAJOR.MINOR.PATCH", e.g. "1.2.0"' },
        }),
        owner: text("Contact email of the owner.", {
          empty: "warning",
          pattern: { re: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, severity: "warning", message: "owner is not an email address", hint: 'write a contact email, e.g. "security@example.com"' },
        }),
        signature: text('Policy signature, "<algorithm>:<base64>" (ed25519 or ecdsa-p256).', {
          since: "v1alpha2",
          pattern: {
            re: /^(ed25519:[A-Za-z0-9+/]{86}==|ecdsa-p256:[A-Za-z0-9+/]+={0,2})$/,
            severity: "error",
            message: "not a policy signature",
            hint: 'write "ed25519:" followed by the 64-byte signature in base64 (88 characters ending in ==)',
          },
        }),
      },
    },
    spec,
  },
};

/** Fields defined by AIP v1alpha3, which toolgate does not support yet (for a precise message). */
export const V1ALPHA3_FIELDS = new Set(["spec.registry", "spec.aat"]);

/** Every field path of the table, with `[]` for list items: "spec.tool_rules[].action". */
export function fieldPaths(s: Spec = DOCUMENT, prefix = ""): { path: string; spec: Spec }[] {
  const out: { path: string; spec: Spec }[] = [];
  if (s.type === "object") {
    for (const [k, f] of Object.entries(s.fields)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.push({ path: p, spec: f }, ...fieldPaths(f, p));
    }
  } else if (s.type === "list") {
    out.push(...fieldPaths(s.items, `${prefix}[]`));
  }
  return out;
}
