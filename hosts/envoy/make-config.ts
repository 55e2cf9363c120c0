// Writes the configuration that puts the toolgate filter in front of an MCP server, with the policy inlined:
// a whole Envoy bootstrap (default), the LDS file of a running Envoy (--lds: replace it to update the policy),
// or an Istio WasmPlugin (--istio). The filter cannot read files (proxy-wasm has no file system), so a bundle
// or policy path is resolved here and its bytes travel in the plugin configuration.
//   tsx hosts/envoy/make-config.ts (--bundle policy.tgb | --policy policy.yaml) --upstream mcp:8080 [options]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { compilePolicyFile } from "../../compiler/index.ts";
import { bootstrap, ldsResponse, pluginConfiguration, type FilterOptions, type ListenerSpec } from "./bootstrap.ts";

const USAGE = `usage: tsx hosts/envoy/make-config.ts (--bundle <file.tgb> | --policy <policy.yaml>) [options]
  --upstream <host:port>      the MCP server (bootstrap and --lds; default 127.0.0.1:8080)
  --listen <host:port>        where Envoy listens (default 0.0.0.0:10000)
  --admin <host:port>         Envoy's admin API (default 127.0.0.1:9901)
  --wasm <path>               the filter module as Envoy sees it (default /etc/toolgate/envoy-filter.wasm)
  --max-body-bytes <n>        cap on MCP bodies and scanned JSON answers (default 4 MiB)
  --non-mcp pass|refuse       requests with other HTTP methods (default pass)
  --approval-cluster <name>   where asked calls go for approval (the cluster must exist in your Envoy)
  --lds                       write the LDS file (a DiscoveryResponse) instead of a bootstrap
  --lds-file <path>           the bootstrap takes its listeners from this LDS file (watched: replace it
                              atomically, e.g. with mv, to update the policy)
  --istio                     write an Istio WasmPlugin instead (--url, --selector app=<label>)
  --url <oci:// or https://>  the WasmPlugin's module URL
  --selector <key=value>      the WasmPlugin's workload selector (default app=mcp-server)`;

function hostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(s);
  if (!m) throw new Error(`${what} must be host:port, got ${JSON.stringify(s)}`);
  return { host: m[1], port: Number(m[2]) };
}

export function main(argv: string[]): string {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: "string" }, policy: { type: "string" }, upstream: { type: "string", default: "127.0.0.1:8080" },
      listen: { type: "string", default: "0.0.0.0:10000" }, admin: { type: "string", default: "127.0.0.1:9901" },
      wasm: { type: "string", default: "/etc/toolgate/envoy-filter.wasm" }, "max-body-bytes": { type: "string" },
      "non-mcp": { type: "string" }, "approval-cluster": { type: "string" }, lds: { type: "boolean" }, "lds-file": { type: "string" },
      istio: { type: "boolean" },
      url: { type: "string", default: "oci://ghcr.io/toolgate/envoy-filter:0.1.0" }, selector: { type: "string", default: "app=mcp-server" },
      help: { type: "boolean" },
    },
  });
  if (values.help || (!values.bundle && !values.policy)) return USAGE + "\n";
  const bytes = values.bundle ? new Uint8Array(readFileSync(resolve(values.bundle))) : compilePolicyFile(resolve(values.policy!)).bytes;
  if (values["non-mcp"] && values["non-mcp"] !== "pass" && values["non-mcp"] !== "refuse") throw new Error("--non-mcp is pass or refuse");
  const filter: FilterOptions = {
    bundle: bytes,
    maxBodyBytes: values["max-body-bytes"] ? Number(values["max-body-bytes"]) : undefined,
    nonMcp: values["non-mcp"] as FilterOptions["nonMcp"],
    approval: values["approval-cluster"] ? { cluster: values["approval-cluster"] } : undefined,
  };
  if (values.istio) {
    const [key, value] = values.selector!.split("=");
    const manifest = {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: "toolgate" },
      spec: {
        selector: { matchLabels: { [key]: value } },
        url: values.url,
        phase: "AUTHZ",
        failStrategy: "FAIL_CLOSE",
        match: [{ mode: "SERVER" }],
        pluginConfig: JSON.parse(pluginConfiguration(filter)),
      },
    };
    return stringify(manifest);
  }
  const listen = hostPort(values.listen!, "--listen");
  const upstream = hostPort(values.upstream!, "--upstream");
  const listener: ListenerSpec = { name: "mcp", address: listen.host, port: listen.port, cluster: "mcp_server", filter };
  if (values.lds) return JSON.stringify(ldsResponse([listener], values.wasm!, String(Date.now())), null, 2) + "\n";
  const admin = hostPort(values.admin!, "--admin");
  const b = bootstrap({
    wasmPath: values.wasm!,
    listeners: [listener],
    clusters: [{ name: "mcp_server", host: upstream.host, port: upstream.port }],
    adminAddress: admin.host,
    adminPort: admin.port,
    ldsPath: values["lds-file"],
  });
  return stringify(b);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try {
    process.stdout.write(main(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`make-config: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
