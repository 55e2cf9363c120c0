// Envoy configuration for the toolgate filter: the plugin configuration string, the HTTP filter entry, and a
// whole bootstrap (listeners in front of upstream MCP servers, admin on loopback) for the tests, the
// benchmark and docs/envoy.md. Plain objects: Envoy reads them as JSON (-c file.json) or YAML.

export const WASM_FILTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
const LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener";

/** The filter's options (docs/envoy.md, "Plugin configuration"). */
export interface FilterOptions {
  /** The compiled bundle (.tgb bytes). */
  bundle: Uint8Array;
  /** Largest MCP request or scanned JSON answer; default 4 MiB (or the policy's maximum message size if smaller). */
  maxBodyBytes?: number;
  /** Requests with HTTP methods MCP does not use: passed untouched (default) or refused with 405. */
  nonMcp?: "pass" | "refuse";
  /** Tool arguments in audit records: DLP-redacted (default) or left out. */
  auditArgs?: "full" | "none";
  /** Rate-limit buckets are shared by the plugins of one Envoy that have the same scope and policy. */
  rateLimitScope?: string;
  /** Where asked calls (action: ask) are sent for a decision; without it they are refused with -32005. */
  approval?: { cluster: string; path?: string; authority?: string; timeoutMs?: number };
}

/** The plugin configuration string the filter parses in proxy_on_configure. */
export function pluginConfiguration(o: FilterOptions): string {
  const c: Record<string, unknown> = { bundle: Buffer.from(o.bundle).toString("base64") };
  if (o.maxBodyBytes !== undefined) c.max_body_bytes = o.maxBodyBytes;
  if (o.nonMcp !== undefined) c.non_mcp = o.nonMcp;
  if (o.auditArgs !== undefined) c.audit_args = o.auditArgs;
  if (o.rateLimitScope !== undefined) c.rate_limit_scope = o.rateLimitScope;
  if (o.approval) {
    const a: Record<string, unknown> = { cluster: o.approval.cluster };
    if (o.approval.path !== undefined) a.path = o.approval.path;
    if (o.approval.authority !== undefined) a.authority = o.approval.authority;
    if (o.approval.timeoutMs !== undefined) a.timeout_ms = o.approval.timeoutMs;
    c.approval = a;
  }
  return JSON.stringify(c);
}

/** The HTTP filter entry: the filter fails closed, and a VM that traps is replaced (the request fails closed). */
export function wasmFilter(wasmPath: string, configuration: string): object {
  return {
    name: "envoy.filters.http.wasm",
    typed_config: {
      "@type": WASM_FILTER_TYPE,
      config: {
        name: "toolgate",
        root_id: "toolgate",
        configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: configuration },
        failure_policy: "FAIL_RELOAD",
        vm_config: { vm_id: "toolgate", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: wasmPath } } },
      },
    },
  };
}

export interface ListenerSpec {
  name: string;
  /** Default 127.0.0.1. */
  address?: string;
  /** 0: any free port (read it back from the admin API). */
  port: number;
  /** The upstream cluster the route goes to. */
  cluster: string;
  /** The filter's options, or null for the same listener without the filter. */
  filter: FilterOptions | null;
  /** Spread connections evenly over the worker threads (tests of state shared between threads). */
  exactBalance?: boolean;
}

export interface ClusterSpec {
  name: string;
  host: string;
  port: number;
}

export interface BootstrapOptions {
  /** Path of build/envoy-filter.wasm. */
  wasmPath: string;
  listeners: ListenerSpec[];
  clusters: ClusterSpec[];
  adminPort?: number;
  /** Default 127.0.0.1: the admin API must not be reachable from outside. */
  adminAddress?: string;
  /** Listeners come from this LDS file (watched for changes) instead of the bootstrap. */
  ldsPath?: string;
  /** More listeners as Envoy configuration objects (e.g. a direct-response server for the benchmark). */
  extraListeners?: object[];
}

/** Envoy buffers request and response bodies up to this per connection; above the filter's cap. */
export function bufferLimit(filter: FilterOptions | null): number {
  return Math.max(filter?.maxBodyBytes ?? 0, 4 << 20) + (64 << 10);
}

export function listener(spec: ListenerSpec, wasmPath: string): Record<string, unknown> {
  const httpFilters: object[] = [];
  if (spec.filter) httpFilters.push(wasmFilter(wasmPath, pluginConfiguration(spec.filter)));
  httpFilters.push({ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE } });
  return {
    name: spec.name,
    stat_prefix: spec.name,
    address: { socket_address: { address: spec.address ?? "127.0.0.1", port_value: spec.port } },
    per_connection_buffer_limit_bytes: bufferLimit(spec.filter),
    ...(spec.exactBalance ? { connection_balance_config: { exact_balance: {} } } : {}),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": HCM_TYPE,
              stat_prefix: spec.name,
              // Keep the caller's x-request-id: the filter's audit records carry it.
              preserve_external_request_id: true,
              route_config: {
                name: spec.name,
                virtual_hosts: [
                  {
                    name: "mcp",
                    domains: ["*"],
                    // No route timeout: an MCP server's event stream stays open.
                    routes: [{ match: { prefix: "/" }, route: { cluster: spec.cluster, timeout: "0s" } }],
                  },
                ],
              },
              http_filters: httpFilters,
            },
          },
        ],
      },
    ],
  };
}

export function cluster(c: ClusterSpec): object {
  return {
    name: c.name,
    type: /^[0-9.]+$|:/.test(c.host) ? "STATIC" : "STRICT_DNS",
    connect_timeout: "2s",
    load_assignment: {
      cluster_name: c.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: c.host, port_value: c.port } } } }] }],
    },
  };
}

/**
 * Prometheus labels for the filter's metrics: the filter names them `<metric>.<label>.<value>` (metrics.ts),
 * and these rules turn the suffix into a label, e.g. aip_policy_decisions{decision="BLOCK"}.
 */
export function statsTags(): object[] {
  return [
    { tag_name: "decision", regex: "^wasmcustom\\.aip_policy_decisions(\\.decision\\.(\\w+))$" },
    { tag_name: "outcome", regex: "^wasmcustom\\.aip_approvals_total(\\.outcome\\.(\\w+))$" },
  ];
}

const NS_BUCKETS = [250, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 50000, 75000, 100000, 250000, 1000000];

/** Buckets for the engine's decision time, in nanoseconds (Envoy's defaults are made for milliseconds). */
export function histogramBuckets(): object[] {
  return [
    { match: { prefix: "wasmcustom.toolgate_evaluation_ns" }, buckets: NS_BUCKETS },
    { match: { prefix: "wasmcustom.toolgate_filter_ns" }, buckets: NS_BUCKETS },
  ];
}

/** LDS file contents (a DiscoveryResponse) serving these listeners. */
export function ldsResponse(listeners: ListenerSpec[], wasmPath: string, version: string): object {
  return { version_info: version, resources: listeners.map((l) => ({ "@type": LISTENER_TYPE, ...listener(l, wasmPath) })) };
}

export function bootstrap(o: BootstrapOptions): object {
  const b: Record<string, unknown> = {
    node: { id: "toolgate", cluster: "toolgate" },
    admin: { address: { socket_address: { address: o.adminAddress ?? "127.0.0.1", port_value: o.adminPort ?? 0 } } },
    stats_config: { stats_tags: statsTags(), histogram_bucket_settings: histogramBuckets() },
    static_resources: {
      listeners: [...(o.ldsPath ? [] : o.listeners.map((l) => listener(l, o.wasmPath))), ...(o.extraListeners ?? [])],
      clusters: o.clusters.map(cluster),
    },
  };
  if (o.ldsPath) {
    const dir = o.ldsPath.replace(/\/[^/]*$/, "") || "/";
    b.dynamic_resources = {
      lds_config: { resource_api_version: "V3", path_config_source: { path: o.ldsPath, watched_directory: { path: dir } } },
    };
  }
  return b;
}
