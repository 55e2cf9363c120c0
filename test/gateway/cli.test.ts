// `toolgate gateway` as an operator runs it: flags and TOOLGATE_* environment, the mode override (monitor,
// audit, bypass behind --allow-bypass), refused configurations with clear messages, hot reload, shutdown.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, until, writeFile } from "../proxy/helpers.ts";
import { echoUpstream, localServer, policy, post, runGatewayCommand, startGatewayProcess, toolCall, type LocalServer } from "./helpers.ts";

const POLICY = policy(`allowed_tools: [read_file]
tool_rules:
  - tool: delete_file
    action: block`);

describe("toolgate gateway, configured", () => {
  let upstream: LocalServer;
  beforeAll(async () => {
    upstream = await localServer(echoUpstream());
  });
  afterAll(() => upstream?.close());

  const forwarded = (id: number) => upstream.received.some((r) => r.body.includes(`"id":${id}`));

  it("reads its whole configuration from TOOLGATE_* variables (a ConfigMap)", async () => {
    const dir = tempDir("toolgate-gateway-env-");
    const policyFile = writeFile(dir, "policy.yaml", POLICY);
    const gw = await startGatewayProcess({ policy: POLICY, args: [], env: { TOOLGATE_UPSTREAM: upstream.url, TOOLGATE_POLICY: policyFile, TOOLGATE_API_TOKEN: "t" } });
    try {
      // --policy on the command line wins over TOOLGATE_POLICY; both name the same rules here.
      const r = await post(gw.url, toolCall(1, "read_file", { path: "/x" }));
      expect(r.status).toBe(200);
      expect(forwarded(1)).toBe(true);
      expect((await fetch(`${gw.url}/v1/validate`, { method: "POST", body: "{}" })).status).toBe(401); // TOOLGATE_API_TOKEN
    } finally {
      await gw.stop();
    }
  });

  it("--mode monitor lets a violation through and audits it as ALLOW_MONITOR; MODE=audit means the same", async () => {
    for (const start of [{ args: ["--upstream", upstream.url, "--mode", "monitor"] }, { args: ["--upstream", upstream.url], env: { MODE: "audit" } }]) {
      const gw = await startGatewayProcess({ policy: POLICY, ...start });
      try {
        const id = 100 + Math.floor(Math.random() * 1000);
        await post(gw.url, toolCall(id, "delete_file", {}));
        expect(forwarded(id)).toBe(true);
        expect(gw.audit().find((a) => a.tool === "delete_file")).toMatchObject({ decision: "ALLOW_MONITOR", policy_mode: "monitor", violation: true });
        expect(gw.stderr()).toContain("Policy mode: monitor");
      } finally {
        await gw.stop();
      }
    }
  });

  it("refuses --mode bypass without --allow-bypass, naming the flag", async () => {
    const dir = tempDir("toolgate-gateway-bypass-");
    const policyFile = writeFile(dir, "agent.yaml", POLICY);
    const r = await runGatewayCommand(["--policy", policyFile, "--upstream", upstream.url, "--mode", "bypass"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refused unless --allow-bypass");
    const env = await runGatewayCommand(["--policy", policyFile, "--upstream", upstream.url], { TOOLGATE_MODE: "bypass" });
    expect(env.code).toBe(2);
  });

  it("with --allow-bypass forwards without evaluation, and says so loudly", async () => {
    const gw = await startGatewayProcess({ policy: POLICY, args: ["--upstream", upstream.url, "--mode", "bypass", "--allow-bypass"] });
    try {
      await post(gw.url, toolCall(555, "delete_file", {}));
      expect(forwarded(555)).toBe(true);
      expect(gw.stderr()).toMatch(/WARNING: BYPASS MODE/);
      expect(gw.audit().find((a) => a.event === "BYPASS_ENABLED")).toBeDefined();
      expect(gw.audit().some((a) => a.tool === "delete_file")).toBe(false);
    } finally {
      await gw.stop();
    }
  });

  it("refuses a broken configuration with a clear message", async () => {
    const dir = tempDir("toolgate-gateway-bad-");
    const good = writeFile(dir, "agent.yaml", POLICY);
    const bad = writeFile(dir, "bad.yaml", POLICY.replace("action: block", "action: blok"));
    const noUpstream = await runGatewayCommand(["--policy", good]);
    expect(noUpstream).toMatchObject({ code: 2 });
    expect(noUpstream.stderr).toContain("--upstream is required");
    const badPolicy = await runGatewayCommand(["--policy", bad, "--upstream", upstream.url]);
    expect(badPolicy.code).toBe(1);
    expect(badPolicy.stderr).toMatch(/bad\.yaml:\d+:\d+: error: spec\.tool_rules\[0\]\.action: "blok" is not a valid action/);
    const badUrl = await runGatewayCommand(["--policy", good, "--upstream", "ftp://x"]);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain("--upstream must be http(s)");
    const badMode = await runGatewayCommand(["--policy", good, "--upstream", upstream.url, "--mode", "strict"]);
    expect(badMode.code).toBe(2);
    const help = await runGatewayCommand(["--help"]);
    expect(help.code).toBe(0);
  });

  it("reloads a changed policy file and decides with it, keeping the old one when the new one is broken", async () => {
    const gw = await startGatewayProcess({ policy: POLICY, args: ["--upstream", upstream.url] });
    try {
      const file = join(gw.dir, "agent.yaml");
      expect((await post(gw.url, toolCall(1, "list_directory", {}))).json).toMatchObject({ error: { code: -32001 } });
      writeFileSync(file, POLICY.replace("allowed_tools: [read_file]", "allowed_tools: [read_file, list_directory]"));
      await until(async () => (await post(gw.url, toolCall(2, "list_directory", {}))).json?.result, "the reloaded policy");
      writeFileSync(file, "spec: [");
      await until(() => gw.audit().some((a) => a.event === "POLICY_LOAD_FAILED"), "the refused reload");
      expect((await post(gw.url, toolCall(3, "list_directory", {}))).json?.result).toBeDefined();
    } finally {
      await gw.stop();
    }
  });

  it("stops on SIGTERM with exit code 0 and a last audit record", async () => {
    const gw = await startGatewayProcess({ policy: POLICY, args: ["--upstream", upstream.url] });
    expect(await gw.stop()).toBe(0);
    expect(gw.audit().at(-1)).toMatchObject({ event: "GATEWAY_STOPPED" });
  });
});
