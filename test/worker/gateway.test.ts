// The Worker in real workerd in front of a local upstream: decisions, the HTTP mapping of verdicts, headers,
// JSON responses, methods other than POST, audit records, ask and the approval service, configuration errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Workerd } from "../../hosts/worker/workerd.ts";
import { AWS_KEY, DLP, echoUpstream, localServer, policy, post, records, startGateway, toolCall, type LocalServer } from "./helpers.ts";

const POLICY = policy(`allowed_tools: [read_file, deploy, list_files]
tool_rules:
  - tool: read_file
    allow_args:
      path: '^/work/'
  - tool: deploy
    action: ask
${DLP}`);

describe("the Worker in front of an MCP server", () => {
  let upstream: LocalServer;
  let w: Workerd;
  let mcp: string;

  beforeAll(async () => {
    upstream = await localServer((r, res) => {
      if (r.url === "/mcp" && r.method === "POST" && r.body.includes("leak")) {
        const body = JSON.stringify({ jsonrpc: "2.0", id: 9, result: { content: [{ type: "text", text: `key ${AWS_KEY}` }] } });
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "mcp-session-id": "s-1", "content-length": String(Buffer.byteLength(body)) });
        res.end(body);
      } else if (r.method === "GET") {
        res.writeHead(200, { "content-type": "text/plain", "x-upstream": "get" }).end("plain text passes");
      } else if (r.method === "DELETE") {
        res.writeHead(204, { "x-upstream": "delete" }).end();
      } else echoUpstream()(r, res);
    });
    w = await startGateway({ policy: POLICY, vars: { UPSTREAM_URL: upstream.url } });
    mcp = `${w.url("gw")}/mcp`;
  });
  afterAll(async () => {
    await w?.stop();
    await upstream?.close();
  });

  it("forwards an allowed call byte for byte, with the client's headers, and returns the upstream's answer", async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/work/a"}}}';
    const n = upstream.received.length;
    const r = await post(mcp, body, { "mcp-session-id": "s-1", authorization: "Bearer t0ken", "mcp-protocol-version": "2025-06-18" });
    expect(r.status).toBe(200);
    expect(r.json.result.content[0].text).toBe("upstream answered");
    expect(r.headers.get("mcp-session-id")).toBe("session-from-upstream");
    const got = upstream.received[n];
    expect(got.body).toBe(body);
    expect(got.url).toBe("/mcp");
    expect(got.headers["mcp-session-id"]).toBe("s-1");
    expect(got.headers.authorization).toBe("Bearer t0ken");
    expect(got.headers["mcp-protocol-version"]).toBe("2025-06-18");
  });

  it("answers a blocked call itself (200, -32001 with the policy hash), never forwards it, and audits it", async () => {
    const from = w.lines.length;
    const n = upstream.received.length;
    const r = await post(mcp, toolCall(2, "read_file", { path: "/etc/passwd" }));
    expect(r.status).toBe(200);
    expect(r.json.id).toBe(2);
    expect(r.json.error.code).toBe(-32001);
    expect(r.json.error.data.policy_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.json.error.data.rule).toBe("tool_rules[0].allow_args.path");
    expect(upstream.received.length).toBe(n);
    const [rec] = (await records(w, from, (rs) => rs.some((x) => x.decision))).filter((x) => x.decision);
    expect(rec).toMatchObject({ decision: "BLOCK", tool: "read_file", error_code: -32001, rule: "tool_rules[0].allow_args.path", violation: true });
    expect(rec.policy_hash).toBe(r.json.error.data.policy_hash);
  });

  it("refuses batches (400, -32600) and invalid JSON (400, -32700)", async () => {
    const batch = await post(mcp, [toolCall(3, "read_file", { path: "/work/a" })]);
    expect(batch.status).toBe(400);
    expect(batch.json.error.code).toBe(-32600);
    const junk = await post(mcp, "{not json");
    expect(junk.status).toBe(400);
    expect(junk.json.error.code).toBe(-32700);
  });

  it("passes an allowed notification (the upstream's 202) and drops a refused one (403, no body)", async () => {
    const ok = await post(mcp, { jsonrpc: "2.0", method: "notifications/initialized" });
    expect(ok.status).toBe(202);
    const n = upstream.received.length;
    const refused = await post(mcp, { jsonrpc: "2.0", method: "notifications/not-in-the-list" });
    expect(refused.status).toBe(403);
    expect(refused.text).toBe("");
    expect(upstream.received.length).toBe(n);
  });

  it("redacts a secret in a JSON answer and records DLP_TRIGGERED; the stale length is not passed on", async () => {
    const from = w.lines.length;
    const r = await post(mcp, toolCall(9, "list_files", { q: "leak" }));
    expect(r.status).toBe(200);
    expect(r.text).not.toContain(AWS_KEY);
    expect(r.json.result.content[0].text).toBe("key [REDACTED:AWS Key]");
    expect(r.headers.get("mcp-session-id")).toBe("s-1");
    const dlp = (await records(w, from, (rs) => rs.some((x) => x.event === "DLP_TRIGGERED"))).find((x) => x.event === "DLP_TRIGGERED");
    expect(dlp).toMatchObject({ dlp_rule: "AWS Key", dlp_match_count: 1, direction: "downstream" });
  });

  it("passes GET, DELETE and OPTIONS on with their answers, and refuses other methods (405)", async () => {
    const get = await fetch(mcp, { headers: { "mcp-session-id": "s-1" } });
    expect(get.status).toBe(200);
    expect(get.headers.get("x-upstream")).toBe("get");
    expect(await get.text()).toBe("plain text passes");
    const del = await fetch(mcp, { method: "DELETE", headers: { "mcp-session-id": "s-1" } });
    expect(del.status).toBe(204);
    expect(upstream.received.at(-1)).toMatchObject({ method: "DELETE", url: "/mcp" });
    expect(upstream.received.at(-1)!.headers["mcp-session-id"]).toBe("s-1");
    const put = await fetch(mcp, { method: "PUT", body: "{}" });
    expect(put.status).toBe(405);
  });

  it("answers `ask` with -32005 at once when no approval service is configured, and audits both steps", async () => {
    const from = w.lines.length;
    const n = upstream.received.length;
    const r = await post(mcp, toolCall(5, "deploy", { env: "prod" }));
    expect(r.status).toBe(200);
    expect(r.json.error.code).toBe(-32005);
    expect(upstream.received.length).toBe(n);
    const rs = await records(w, from, (x) => x.some((y) => y.event === "APPROVAL"));
    expect(rs.find((x) => x.decision === "ASK")).toMatchObject({ tool: "deploy", rule: "tool_rules[1]" });
    expect(rs.find((x) => x.event === "APPROVAL")).toMatchObject({ approval: "timeout", approval_via: "none", error_code: -32005 });
  });
});

describe("ask with an approval service", () => {
  let upstream: LocalServer;
  let approvals: LocalServer;
  let w: Workerd;
  let answer = 200;

  beforeAll(async () => {
    upstream = await localServer(echoUpstream());
    approvals = await localServer((_r, res) => void res.writeHead(answer).end());
    w = await startGateway({ policy: POLICY, vars: { UPSTREAM_URL: upstream.url, APPROVAL_URL: `${approvals.url}/approve`, APPROVAL_TIMEOUT_MS: "2000" } });
  });
  afterAll(async () => {
    await w?.stop();
    await Promise.all([upstream?.close(), approvals?.close()]);
  });

  it("sends the ASK record to the service: 200 forwards the call, 403 is -32004, anything else -32005", async () => {
    const mcp = `${w.url("gw")}/mcp`;
    answer = 200;
    const ok = await post(mcp, toolCall(1, "deploy", { env: "staging" }));
    expect(ok.json.result).toBeDefined();
    expect(JSON.parse(approvals.received.at(-1)!.body)).toMatchObject({ decision: "ASK", tool: "deploy", args: { env: "staging" } });
    expect(JSON.parse(upstream.received.at(-1)!.body).params.name).toBe("deploy");
    answer = 403;
    expect((await post(mcp, toolCall(2, "deploy"))).json.error.code).toBe(-32004);
    answer = 500;
    expect((await post(mcp, toolCall(3, "deploy"))).json.error.code).toBe(-32005);
  });
});

describe("audit arguments, monitor mode and routes", () => {
  let upstream: LocalServer;
  const stop: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    upstream = await localServer(echoUpstream());
  });
  afterAll(async () => {
    for (const s of stop) await s();
    await upstream?.close();
  });

  it("hashes argument values with AUDIT_ARGS=hash (SHA-256 of each value's JSON)", async () => {
    const w = await startGateway({ policy: POLICY, vars: { UPSTREAM_URL: upstream.url, AUDIT_ARGS: "hash" } });
    stop.push(() => w.stop());
    const from = w.lines.length;
    await post(`${w.url("gw")}/mcp`, toolCall(1, "read_file", { path: "/work/secret.txt" }));
    const rec = (await records(w, from, (rs) => rs.some((x) => x.tool))).find((x) => x.tool)!;
    const { createHash } = await import("node:crypto");
    expect(rec.args).toEqual({ path: `sha256:${createHash("sha256").update('"/work/secret.txt"').digest("hex")}` });
  });

  it("lets violations through in the policy's monitor mode, recorded as ALLOW_MONITOR", async () => {
    const monitor = policy(`mode: monitor\nallowed_tools: [read_file]`);
    const w = await startGateway({ policy: monitor, vars: { UPSTREAM_URL: upstream.url } });
    stop.push(() => w.stop());
    const from = w.lines.length;
    const r = await post(`${w.url("gw")}/mcp`, toolCall(1, "rm", {}));
    expect(r.json.result).toBeDefined();
    const rec = (await records(w, from, (rs) => rs.some((x) => x.decision))).find((x) => x.decision)!;
    expect(rec).toMatchObject({ decision: "ALLOW_MONITOR", violation: true, policy_mode: "monitor", rule: "allowed_tools" });
  });

  it("routes by the longest path prefix and refuses unrouted paths (404)", async () => {
    const w = await startGateway({
      policy: POLICY,
      vars: { ROUTES: JSON.stringify({ "/a": `${upstream.url}/server-a`, "/a/b": `${upstream.url}/server-b/mcp` }) },
    });
    stop.push(() => w.stop());
    await post(`${w.url("gw")}/a/mcp?x=1`, toolCall(1, "list_files"));
    expect(upstream.received.at(-1)!.url).toBe("/server-a/mcp?x=1");
    await post(`${w.url("gw")}/a/b`, toolCall(2, "list_files"));
    expect(upstream.received.at(-1)!.url).toBe("/server-b/mcp");
    expect((await post(`${w.url("gw")}/c/mcp`, toolCall(3, "list_files"))).status).toBe(404);
  });

  it("refuses every request with a clear message when the configuration is wrong, and without a policy refuses every call", async () => {
    const broken = await startGateway({ policy: POLICY, vars: { AUDIT_ARGS: "everything" } });
    stop.push(() => broken.stop());
    const r = await post(`${broken.url("gw")}/mcp`, toolCall(1, "read_file"));
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/configuration refused: set UPSTREAM_URL or ROUTES|AUDIT_ARGS/);
    const none = await startGateway({ policy: null, vars: { UPSTREAM_URL: upstream.url } });
    stop.push(() => none.stop());
    const n = upstream.received.length;
    const d = await post(`${none.url("gw")}/mcp`, toolCall(2, "read_file", { path: "/work/a" }));
    expect(d.json.error.code).toBe(-32001);
    expect(upstream.received.length).toBe(n);
  });
});
