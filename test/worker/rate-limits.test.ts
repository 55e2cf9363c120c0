// Rate limits at the edge: each isolate has its own buckets (two Worker services in workerd stand for two
// isolates), unless the ToolgateLimits Durable Object is bound, which gives all of them one set of buckets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Workerd, gatewayWorker } from "../../hosts/worker/workerd.ts";
import { bundle, echoUpstream, localServer, policy, post, toolCall, type LocalServer } from "./helpers.ts";

const LIMITED = policy(`allowed_tools: [search]
tool_rules:
  - tool: search
    rate_limit: 2/minute`);

describe("rate limits", () => {
  let upstream: LocalServer;
  const running: Workerd[] = [];

  beforeAll(async () => {
    upstream = await localServer(echoUpstream());
  });
  afterAll(async () => {
    for (const w of running) await w.stop();
    await upstream?.close();
  });

  async function twoIsolates(global: boolean): Promise<[string, string]> {
    const b = bundle(LIMITED);
    const vars = { UPSTREAM_URL: upstream.url };
    const w = await Workerd.start([
      gatewayWorker("one", { policy: b, vars, globalLimits: global ? true : undefined }),
      gatewayWorker("two", { policy: b, vars, globalLimits: global ? "one" : undefined }),
    ]);
    running.push(w);
    return [`${w.url("one")}/mcp`, `${w.url("two")}/mcp`];
  }

  it("are per isolate by default: a second isolate has a full bucket", async () => {
    const [one, two] = await twoIsolates(false);
    expect((await post(one, toolCall(1, "search"))).json.result).toBeDefined();
    expect((await post(one, toolCall(2, "search"))).json.result).toBeDefined();
    const third = await post(one, toolCall(3, "search"));
    expect(third.json.error.code).toBe(-32002);
    expect(third.json.error.data.retry_after_ms).toBeGreaterThan(0);
    expect((await post(two, toolCall(4, "search"))).json.result).toBeDefined();
  });

  it("are global with the ToolgateLimits Durable Object: the second isolate shares the bucket", async () => {
    const [one, two] = await twoIsolates(true);
    expect((await post(one, toolCall(1, "search"))).json.result).toBeDefined();
    expect((await post(two, toolCall(2, "search"))).json.result).toBeDefined();
    const third = await post(two, toolCall(3, "search"));
    expect(third.json.error.code).toBe(-32002);
    expect(third.json.error.data.policy_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await post(one, toolCall(4, "search"))).json.error.code).toBe(-32002);
    // Calls the policy refuses anyway take no token and still get their own answer.
    expect((await post(one, toolCall(5, "other"))).json.error.code).toBe(-32001);
  });
});
