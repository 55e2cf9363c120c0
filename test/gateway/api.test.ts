// The decision API of `toolgate gateway` (POST /v1/validate and /v1/validate/batch): AIP v1alpha2's request and
// answer shapes, bearer authentication, errors as JSON, batches against one policy snapshot, audit records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoUpstream, localServer, policy, startGatewayProcess, type GatewayProcess, type LocalServer } from "./helpers.ts";

const POLICY = policy(`allowed_tools: [read_file, list_directory]
protected_paths: [/etc/shadow]
tool_rules:
  - tool: read_file
    allow_args:
      path: "^/allowed/.*"
  - tool: write_file
    action: ask
  - tool: delete_file
    action: block
  - tool: list_directory
    rate_limit: 1/minute`);

const TOKEN = "api-token-for-tests";

describe("the decision API", () => {
  let upstream: LocalServer;
  let gw: GatewayProcess;

  beforeAll(async () => {
    upstream = await localServer(echoUpstream());
    gw = await startGatewayProcess({ policy: POLICY, args: ["--upstream", upstream.url, "--api-token", TOKEN] });
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  const call = async (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, method = "POST") => {
    const res = await fetch(`${gw.url}${path}`, { method, headers, body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, json: await res.json() };
  };
  const validate = (tool: string, args: unknown = {}) => call("/v1/validate", { tool, arguments: args });

  it("allows an allowed call", async () => {
    const r = await validate("read_file", { path: "/allowed/notes.txt" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ decision: "allow", reason: "Tool is allowed", policy_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("blocks a tool that is not allowed, with AIP's reason text", async () => {
    const r = await validate("exec_shell");
    expect(r.json).toMatchObject({ decision: "block", reason: "Tool not in allowed_tools list", violations: [{ type: "tool_not_allowed" }], rule: "allowed_tools" });
  });

  it("names the argument and the pattern it must match", async () => {
    const r = await validate("read_file", { path: "/etc/passwd" });
    expect(r.json).toMatchObject({ decision: "block", violations: [{ type: "argument_validation", field: "path", message: "Value does not match pattern: ^/allowed/.*" }] });
  });

  it("blocks a protected path without naming it", async () => {
    const r = await validate("read_file", { path: "/allowed/../../etc/shadow" });
    expect(r.json).toMatchObject({ decision: "block", reason: "Access to protected path blocked", violations: [{ type: "protected_path", field: "path" }] });
    expect(JSON.stringify(r.json)).not.toContain("shadow");
  });

  it("says ask for a tool that needs approval, and block for action: block", async () => {
    expect((await validate("write_file", { path: "/allowed/x" })).json).toMatchObject({ decision: "ask", reason: "Tool requires user approval" });
    expect((await validate("delete_file")).json).toMatchObject({ decision: "block", rule: "tool_rules[2]" });
  });

  it("answers 429 with error rate_limited and Retry-After once the tool's bucket is empty", async () => {
    expect((await validate("list_directory", { path: "/" })).status).toBe(200);
    const r = await validate("list_directory", { path: "/" });
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({ decision: "block", error: "rate_limited", violations: [{ type: "rate_limited" }] });
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("requires the bearer token, from the Authorization header only", async () => {
    const none = await call("/v1/validate", { tool: "read_file", arguments: {}, token: TOKEN }, {});
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ error: "token_required" });
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await call("/v1/validate", { tool: "read_file" }, { authorization: "Bearer nope" })).json).toMatchObject({ error: "token_invalid" });
    expect((await call("/v1/validate", { tool: "read_file" }, { authorization: `Basic ${TOKEN}` })).json).toMatchObject({ error: "token_required" });
  });

  it("answers bad requests with JSON errors", async () => {
    expect(await call("/v1/validate", "not valid json")).toMatchObject({ status: 400, json: { error: "invalid_request", message: "Invalid JSON body" } });
    expect(await call("/v1/validate", { arguments: {} })).toMatchObject({ status: 400, json: { error: "invalid_request", message: "Missing required field: tool" } });
    expect(await call("/v1/validate", { tool: "read_file", arguments: [1] })).toMatchObject({ status: 400, json: { error: "invalid_request" } });
    expect(await call("/v1/validate", null, { authorization: `Bearer ${TOKEN}` }, "GET")).toMatchObject({ status: 405, json: { error: "method_not_allowed" } });
    expect(await call("/v1/validate", { tool: "read_file", arguments: { path: "x".repeat(17 << 20) } })).toMatchObject({ status: 413 });
  });

  it("decides a batch against one policy snapshot, with an overall decision", async () => {
    const r = await call("/v1/validate/batch", {
      checks: [
        { tool: "read_file", arguments: { path: "/allowed/a" } },
        { tool: "write_file", arguments: { path: "/allowed/b" } },
        { tool: "delete_file", arguments: {} },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.decision).toBe("block");
    expect(r.json.results.map((x: any) => x.decision)).toEqual(["allow", "ask", "block"]);
    expect(new Set([r.json.policy_hash, ...r.json.results.map((x: any) => x.policy_hash)]).size).toBe(1);
  });

  it("refuses a batch with one bad check as a whole, deciding none of it", async () => {
    const before = gw.audit().length;
    const r = await call("/v1/validate/batch", { checks: [{ tool: "read_file", arguments: { path: "/allowed/a" } }, { arguments: {} }] });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("checks[1]: Missing required field: tool");
    expect(gw.audit().length).toBe(before);
    expect((await call("/v1/validate/batch", { checks: [] })).status).toBe(400);
  });

  it("audits every check, marked as coming from the decision API", async () => {
    const records = gw.audit().filter((a) => a.source === "validate_api");
    expect(records.length).toBeGreaterThanOrEqual(10);
    expect(records.find((a) => a.tool === "read_file" && a.decision === "BLOCK")).toMatchObject({ failed_arg: "path", failed_rule: "^/allowed/.*" });
  });
});

describe("the decision API in monitor mode", () => {
  it("allows a violation and says it would have been blocked", async () => {
    const upstream = await localServer(echoUpstream());
    const gw = await startGatewayProcess({ policy: POLICY, args: ["--upstream", upstream.url, "--mode", "audit"] });
    try {
      const res = await fetch(`${gw.url}/v1/validate`, { method: "POST", body: JSON.stringify({ tool: "delete_file", arguments: {} }) });
      const json = await res.json();
      expect(json).toMatchObject({ decision: "allow", rule: "tool_rules[2]" });
      expect(json.reason).toMatch(/\(monitor mode: not enforced\)$/);
      expect(json.violations).toBeUndefined();
    } finally {
      await gw.stop();
      await upstream.close();
    }
  });
});
