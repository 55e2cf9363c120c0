// The policy from KV: workerd's KV binding is served by a local HTTP service speaking workerd's KV protocol
// (GET /<key>), so a policy update is tested as it happens at the edge, without redeploying the Worker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Workerd } from "../../hosts/worker/workerd.ts";
import { bundle, echoUpstream, localServer, policy, post, records, startGateway, toolCall, type LocalServer } from "./helpers.ts";

const ALLOW_A = policy("allowed_tools: [tool_a]", "allow-a");
const ALLOW_B = policy("allowed_tools: [tool_b]", "allow-b");

function kvService(store: Map<string, Uint8Array | string>, reads: string[]) {
  return (r: { url: string }, res: import("node:http").ServerResponse) => {
    const key = decodeURIComponent(new URL(r.url, "http://kv").pathname.slice(1));
    reads.push(key);
    const v = store.get(key);
    if (v === undefined) return void res.writeHead(404).end();
    res.writeHead(200).end(typeof v === "string" ? v : Buffer.from(v));
  };
}

describe("policy from KV with a version key", () => {
  let upstream: LocalServer;
  let kv: LocalServer;
  let w: Workerd;
  const store = new Map<string, Uint8Array | string>();
  const reads: string[] = [];
  const call = (name: string, id = 1) => post(`${w.url("gw")}/mcp`, toolCall(id, name));

  beforeAll(async () => {
    upstream = await localServer(echoUpstream());
    kv = await localServer(kvService(store, reads));
    store.set("policy.tgb", bundle(ALLOW_A));
    store.set("policy.version", "1");
    w = await startGateway({
      policy: null,
      vars: { UPSTREAM_URL: upstream.url, POLICY_VERSION_KEY: "policy.version", POLICY_REFRESH_SECONDS: "0" },
      kv: { POLICY_KV: kv.address },
    });
  });
  afterAll(async () => {
    await w?.stop();
    await Promise.all([upstream?.close(), kv?.close()]);
  });

  it("loads the bundle on the first request and then reads only the version key while it is unchanged", async () => {
    expect((await call("tool_a")).json.result).toBeDefined();
    expect((await call("tool_b")).json.error.code).toBe(-32001);
    expect(reads.filter((k) => k === "policy.tgb")).toHaveLength(1);
    expect(reads.filter((k) => k === "policy.version").length).toBeGreaterThanOrEqual(2);
  });

  it("swaps the policy when the version changes, with the new hash in errors and records", async () => {
    const before = (await call("tool_b")).json.error.data.policy_hash;
    store.set("policy.tgb", bundle(ALLOW_B));
    store.set("policy.version", "2");
    const from = w.lines.length;
    const refused = await call("tool_a", 2);
    expect(refused.json.error.code).toBe(-32001);
    expect(refused.json.error.data.policy_hash).not.toBe(before);
    expect((await call("tool_b", 3)).json.result).toBeDefined();
    const rs = await records(w, from, (x) => x.some((y) => y.event === "POLICY_LOADED"));
    expect(rs.find((y) => y.event === "POLICY_LOADED")).toMatchObject({ source: "kv", bundle_version: "2", policy_hash: refused.json.error.data.policy_hash });
  });

  it("keeps the active policy when KV holds a bundle the engine refuses", async () => {
    const good = (await call("tool_a")).json.error.data.policy_hash;
    const corrupt = bundle(ALLOW_A).slice();
    corrupt[corrupt.length - 1] ^= 0xff;
    store.set("policy.tgb", corrupt);
    store.set("policy.version", "3");
    const from = w.lines.length;
    const r = await call("tool_a");
    expect(r.json.error.data.policy_hash).toBe(good);
    expect((await call("tool_b")).json.result).toBeDefined();
    const rs = await records(w, from, (x) => x.some((y) => y.event === "POLICY_LOAD_FAILED"));
    expect(rs.find((y) => y.event === "POLICY_LOAD_FAILED")!.reason).toMatch(/hash mismatch|bundle refused/);
  });
});

describe("policy from KV without a version key", () => {
  it("reads the bundle and swaps it in when its bytes change; until KV has one, every call is refused", async () => {
    const upstream = await localServer(echoUpstream());
    const store = new Map<string, Uint8Array | string>();
    const kv = await localServer(kvService(store, []));
    const w = await startGateway({ policy: null, vars: { UPSTREAM_URL: upstream.url, POLICY_KEY: "edge/policy", POLICY_REFRESH_SECONDS: "0" }, kv: { POLICY_KV: kv.address } });
    try {
      const call = (name: string) => post(`${w.url("gw")}/mcp`, toolCall(1, name));
      expect((await call("tool_a")).json.error.code).toBe(-32001);
      store.set("edge/policy", bundle(ALLOW_A));
      expect((await call("tool_a")).json.result).toBeDefined();
      store.set("edge/policy", bundle(ALLOW_B));
      expect((await call("tool_a")).json.error.code).toBe(-32001);
      expect((await call("tool_b")).json.result).toBeDefined();
    } finally {
      await w.stop();
      await Promise.all([upstream.close(), kv.close()]);
    }
  });
});
