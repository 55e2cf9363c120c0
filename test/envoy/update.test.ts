// Updating the policy of a running Envoy (docs/envoy.md): the listener comes from a watched LDS file, and
// replacing the file with a new bundle swaps the policy without a restart; a bundle the filter refuses is
// rejected by Envoy, and the previous policy keeps serving.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Envoy } from "../../hosts/envoy/harness.ts";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { UpstreamServer } from "../../hosts/envoy/peers.ts";
import type { ListenerSpec } from "../../hosts/envoy/bootstrap.ts";
import { INSTALL_TIMEOUT_MS, POLICY, compile, mcpPost, toolCall } from "./helpers.ts";

const v1 = compile(POLICY);
const v2 = compile(POLICY.replace("allowed_tools: [read_file, echo, list_files]", "allowed_tools: [echo]"));

let envoy: Envoy;
const upstream = new UpstreamServer();
const listener = (bundle: Uint8Array): ListenerSpec => ({ name: "mcp", port: 0, cluster: "upstream", filter: { bundle } });

beforeAll(async () => {
  ensureEnvoy();
  await upstream.start();
  envoy = await Envoy.start({ listeners: [], dynamicListeners: true, clusters: [{ name: "upstream", host: "127.0.0.1", port: upstream.port }] });
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await envoy?.stop();
  await upstream.close();
});

async function readFile(port: number): Promise<{ code: number | null; hash: string | null }> {
  const msg = JSON.parse((await mcpPost(port, toolCall("read_file", { path: "/tmp/a" }))).text);
  return { code: msg.error?.code ?? null, hash: msg.error?.data?.policy_hash ?? null };
}

it("swaps the policy when the LDS file changes, and keeps it when a new bundle is refused", async () => {
  let port = (await envoy.setListeners([listener(v1.bytes)])).get("mcp")!;
  expect(await readFile(port)).toEqual({ code: null, hash: null });

  port = (await envoy.setListeners([listener(v2.bytes)])).get("mcp")!;
  expect(await readFile(port)).toEqual({ code: -32001, hash: v2.hash });

  const corrupt = v1.bytes.slice();
  corrupt[100] ^= 0xff;
  await expect(envoy.setListeners([listener(corrupt)])).rejects.toThrow(/envoy refused the listeners: mcp: Unable to create Wasm plugin toolgate/);
  expect(envoy.lines.some((l) => /configuration refused: content hash mismatch/.test(l))).toBe(true);
  expect(await readFile(port)).toEqual({ code: -32001, hash: v2.hash });
}, 60_000);
