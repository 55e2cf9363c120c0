// The deployment files, checked offline: the Istio WasmPlugins against Istio's schema (@kubernetes-models/istio
// when installed, else the documented fields in wasmplugin.schema.json), and every Envoy configuration with
// `envoy --mode validate`, which loads the real filter with the real bundle (a bundle it refuses fails).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { filterWasmPath } from "../../hosts/envoy/harness.ts";
import { bootstrap } from "../../hosts/envoy/bootstrap.ts";
import { main as makeConfig } from "../../hosts/envoy/make-config.ts";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { INSTALL_TIMEOUT_MS, POLICY, compile } from "./helpers.ts";

const root = packageRoot();
const PLACEHOLDER = "TOOLGATE_BUNDLE_BASE64";
const bundle = compile(POLICY);
const base64 = Buffer.from(bundle.bytes).toString("base64");
const corrupt = (() => {
  const b = bundle.bytes.slice();
  b[b.length - 1] ^= 0xff;
  return Buffer.from(b).toString("base64");
})();
let dir = "";

beforeAll(() => {
  ensureEnvoy();
  dir = mkdtempSync(join(tmpdir(), "toolgate-deploy-"));
}, INSTALL_TIMEOUT_MS);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `envoy --mode validate` on this configuration text: null when valid, else Envoy's reason. */
async function validate(name: string, text: string): Promise<string | null> {
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    await promisify(execFile)(ensureEnvoy(), ["--mode", "validate", "-c", file, "--log-level", "critical", "--disable-hot-restart"]);
    return null;
  } catch (e) {
    return String((e as { stderr?: string }).stderr || (e as Error).message);
  }
}

const read = (path: string) => readFileSync(join(root, path), "utf8");

async function istioValidator(): Promise<(doc: unknown) => string | null> {
  try {
    const spec = "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";
    const { WasmPlugin } = await import(/* @vite-ignore */ spec);
    return (doc) => {
      try {
        new WasmPlugin(doc).validate();
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    };
  } catch {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const check = ajv.compile(JSON.parse(read("test/envoy/wasmplugin.schema.json")));
    return (doc) => (check(doc) ? null : ajv.errorsText(check.errors));
  }
}

describe("Istio", () => {
  for (const file of ["deploy/istio/wasmplugin.yaml", "deploy/istio/wasmplugin-waypoint.yaml"]) {
    it(`${file} is a valid WasmPlugin, fail-closed, with a plugin configuration the filter accepts`, async () => {
      const doc = parse(read(file).replaceAll(PLACEHOLDER, base64));
      const valid = await istioValidator();
      expect(valid(doc)).toBeNull();
      expect(valid({ ...doc, spec: { ...doc.spec, failStrategy: "FAIL_CLOSED" } })).not.toBeNull();
      expect(doc.spec.failStrategy).toBe("FAIL_CLOSE");
      // Istio hands pluginConfig to the filter as JSON: the filter must load it, with this bundle.
      const config = (pluginConfig: unknown) =>
        JSON.stringify(bootstrap({ wasmPath: filterWasmPath(), clusters: [{ name: "upstream", host: "127.0.0.1", port: 8080 }], listeners: [] }))
          .replace('"listeners":[]', `"listeners":[${JSON.stringify(istioListener(JSON.stringify(pluginConfig)))}]`);
      expect(await validate("istio-ok.json", config(doc.spec.pluginConfig))).toBeNull();
      expect(await validate("istio-bad.json", config({ ...doc.spec.pluginConfig, bundle: corrupt }))).toMatch(/Unable to create Wasm plugin toolgate/);
    }, 30_000);
  }

  it("the module image is described by a Dockerfile that copies the built filter", () => {
    expect(read("deploy/istio/Dockerfile")).toMatch(/^COPY build\/envoy-filter\.wasm \.\/plugin\.wasm$/m);
  });
});

/** A listener whose filter gets this plugin configuration verbatim, as Istio passes it. */
function istioListener(configuration: string): object {
  const b = bootstrap({
    wasmPath: filterWasmPath(),
    listeners: [{ name: "istio", port: 0, cluster: "upstream", filter: { bundle: bundle.bytes } }],
    clusters: [],
  }) as any;
  const l = b.static_resources.listeners[0];
  l.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config.configuration.value = configuration;
  return l;
}

describe("plain Envoy", () => {
  it("deploy/envoy/envoy.yaml validates with a real bundle, and a corrupt bundle fails validation", async () => {
    const example = read("deploy/envoy/envoy.yaml").replace("/etc/toolgate/envoy-filter.wasm", filterWasmPath());
    expect(await validate("example.yaml", example.replaceAll(PLACEHOLDER, base64))).toBeNull();
    expect(await validate("example-bad.yaml", example.replaceAll(PLACEHOLDER, corrupt))).toMatch(/Unable to create Wasm plugin toolgate/);
  }, 30_000);

  it("make-config writes a bootstrap and an Istio manifest with the bundle inlined", async () => {
    const file = join(dir, "policy.tgb");
    writeFileSync(file, bundle.bytes);
    const text = makeConfig(["--bundle", file, "--upstream", "mcp-server:8080", "--wasm", filterWasmPath()]);
    expect(await validate("generated.yaml", text)).toBeNull();
    const manifest = parse(makeConfig(["--bundle", file, "--istio"]));
    expect((await istioValidator())(manifest)).toBeNull();
    expect(manifest.spec.pluginConfig.bundle).toBe(base64);
  }, 30_000);
});
