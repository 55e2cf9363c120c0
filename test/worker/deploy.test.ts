// The deployment bundle: `wrangler deploy --dry-run` builds it from deploy/worker/wrangler.toml offline (no
// account, no network), for the compiled-in policy and for the KV and global-limits environments, and what
// wrangler would upload runs in workerd.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { Workerd } from "../../hosts/worker/workerd.ts";
import { echoUpstream, localServer, post, toolCall } from "./helpers.ts";

const ROOT = packageRoot();
const CONFIG = join(ROOT, "deploy", "worker", "wrangler.toml");
const BUILD = join(ROOT, "build", "worker"); // what the wrangler config deploys

function wrangler(args: string[]): string {
  const bin = createRequire(join(ROOT, "package.json")).resolve("wrangler/bin/wrangler.js");
  return execFileSync(process.execPath, [bin, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    timeout: 60_000,
  });
}

describe("deploy/worker/wrangler.toml", () => {
  it("builds the upload offline: the tested worker.mjs, engine.wasm as Wasm and policy.tgb as data", () => {
    const out = mkdtempSync(join(tmpdir(), "toolgate-wrangler-"));
    try {
      const log = wrangler(["deploy", "--dry-run", "--outdir", out, "-c", CONFIG]);
      expect(log).toMatch(/engine\.wasm\s*│\s*compiled-wasm/);
      expect(log).toMatch(/policy\.tgb\s*│\s*buffer/);
      expect(log).toContain("env.UPSTREAM_URL");
      for (const f of ["worker.mjs", "engine.wasm", "policy.tgb"]) {
        expect(readFileSync(join(out, f)).equals(readFileSync(join(BUILD, f))), f).toBe(true);
      }
      const kv = wrangler(["deploy", "--dry-run", "--env", "kv", "--outdir", join(out, "kv"), "-c", CONFIG]);
      expect(kv).toMatch(/env\.POLICY_KV \([0-9a-f]+\)\s+KV Namespace/);
      expect(kv).toContain("env.POLICY_VERSION_KEY");
      const global = wrangler(["deploy", "--dry-run", "--env", "global", "--outdir", join(out, "global"), "-c", CONFIG]);
      expect(global).toMatch(/env\.RATE_LIMITS \(ToolgateLimits\)\s+Durable Object/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);

  it("uploads a Worker that runs: wrangler's output served by workerd answers MCP", async () => {
    const out = mkdtempSync(join(tmpdir(), "toolgate-wrangler-"));
    const upstream = await localServer(echoUpstream());
    let w: Workerd | null = null;
    try {
      wrangler(["deploy", "--dry-run", "--outdir", out, "-c", CONFIG]);
      expect(existsSync(join(out, "worker.mjs"))).toBe(true);
      w = await Workerd.start([{
        name: "deployed",
        modules: [
          { name: "worker.mjs", path: join(out, "worker.mjs"), type: "esModule" },
          { name: "engine.wasm", path: join(out, "engine.wasm"), type: "wasm" },
          { name: "policy.tgb", path: join(out, "policy.tgb"), type: "data" },
        ],
        vars: { UPSTREAM_URL: upstream.url },
      }]);
      const r = await post(`${w.url("deployed")}/mcp`, toolCall(1, "anything"));
      expect(r.json).toMatchObject({ jsonrpc: "2.0", id: 1 });
      // build/worker/policy.tgb is empty unless a policy was compiled into it: every call is then refused.
      if (readFileSync(join(out, "policy.tgb")).length === 0) expect(r.json.error.code).toBe(-32001);
    } finally {
      await w?.stop();
      await upstream.close();
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});
