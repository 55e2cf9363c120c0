// What the Worker is given by its deployment (wrangler.toml [vars] and bindings, or a workerd config), with
// the few Workers types it uses declared here so the host needs no extra type package.

export interface KvNamespace {
  get(key: string, type: "text"): Promise<string | null>;
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
}

/** A service binding (another Worker, or any `fetch`-shaped service). */
export interface Fetcher {
  fetch(input: Request | string, init?: RequestInit): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): Fetcher;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

export interface Env {
  /** Where MCP requests go: the request path is appended to it. */
  UPSTREAM_URL?: string;
  /** A route table instead: {"/github": "https://…/mcp", …} (JSON text or an object); longest prefix wins. */
  ROUTES?: string | Record<string, string>;
  /** KV namespace holding the bundle (policy updates without a redeploy). */
  POLICY_KV?: KvNamespace;
  /** The KV key of the bundle (default "policy.tgb"). */
  POLICY_KEY?: string;
  /** A small KV key whose text changes with every new bundle; when set, only it is polled. */
  POLICY_VERSION_KEY?: string;
  /** How often an isolate checks KV for a new bundle, in seconds (default 30; 0: on every request). */
  POLICY_REFRESH_SECONDS?: string;
  /** `bundle_version` in audit records for the compiled-in bundle. */
  POLICY_VERSION?: string;
  /** Tool arguments in audit records: full (DLP-redacted, default), hash or none. */
  AUDIT_ARGS?: string;
  /** Approval service for `action: ask`, as a service binding or a URL. */
  APPROVAL?: Fetcher;
  APPROVAL_URL?: string;
  /** How long an asked call waits for the approval service (default 30000). */
  APPROVAL_TIMEOUT_MS?: string;
  /** How long the upstream may take to answer (headers, or a whole JSON body), in ms (default 60000; 0: no limit). */
  UPSTREAM_TIMEOUT_MS?: string;
  /** The largest JSON answer read whole to be scanned (default 33554432); a larger one is withheld (502). */
  MAX_RESPONSE_BYTES?: string;
  /** The ToolgateLimits Durable Object: one set of rate-limit buckets for all isolates. */
  RATE_LIMITS?: DurableObjectNamespace;
}
