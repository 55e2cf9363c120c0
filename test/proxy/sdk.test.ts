// The proxy with real parts: the official MCP SDK client, `node bin/toolgate.js proxy`, and the reference
// servers @modelcontextprotocol/server-filesystem and server-everything from npm.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { McpError, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { EVERYTHING, FILESYSTEM, SETSID, connectSdk, escapeRegex, readAudit, tempDir, until, writeFile, type SdkSession } from "./helpers.ts";

async function callError(s: SdkSession, name: string, args: Record<string, unknown>): Promise<McpError> {
  try {
    const r = await s.client.callTool({ name, arguments: args });
    throw new Error(`expected a JSON-RPC error, got a result: ${JSON.stringify(r).slice(0, 300)}`);
  } catch (e) {
    if (!(e instanceof McpError)) throw e;
    return e;
  }
}

const text = (r: any) => (r.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");

describe("server-filesystem behind the proxy", () => {
  const dir = tempDir();
  const root = join(dir, "root");
  mkdirSync(join(root, "secret"), { recursive: true });
  writeFileSync(join(root, "hello.txt"), "hello from a real file\n");
  writeFileSync(join(root, "secret", "key.txt"), "do not read\n");
  const policy = writeFile(dir, "fs.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: fs-test
  version: 2.1.0
spec:
  allowed_tools: [read_text_file, list_directory, list_allowed_directories]
  tool_rules:
    - tool: read_text_file
      allow_args:
        path: '^${escapeRegex(root)}/'
    - tool: write_file
      action: ask
      allow_args:
        path: '^${escapeRegex(root)}/'
    - tool: move_file
      action: block
  protected_paths: ['${root}/secret']
`);
  const server = [process.execPath, FILESYSTEM, root];
  let s: SdkSession;
  let answer: "accept" | "decline" = "accept";
  const questions: string[] = [];

  beforeAll(async () => {
    s = await connectSdk({
      policy, server, dir, proxyArgs: ["--ask-timeout", "10s"],
      elicit: (req) => {
        questions.push(String((req.params as any).message));
        return { action: answer };
      },
    });
  });
  afterAll(async () => s?.close());

  it("initializes and lists only the tools the policy lets through", async () => {
    expect(s.client.getServerVersion()?.name).toMatch(/filesystem/i);
    const names = (await s.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["read_text_file", "list_directory", "list_allowed_directories", "write_file"]));
    expect(names).not.toContain("move_file"); // action: block
    expect(names).not.toContain("create_directory"); // not allowed
    expect(names).not.toContain("search_files");
  });

  it("passes an allowed call to the server, which reads the real file", async () => {
    const r = await s.client.callTool({ name: "read_text_file", arguments: { path: join(root, "hello.txt") } });
    expect(text(r)).toContain("hello from a real file");
  });

  it("answers a blocked call with -32001 and the policy hash, and never forwards it", async () => {
    const e = await callError(s, "move_file", { source: join(root, "hello.txt"), destination: join(root, "moved.txt") });
    expect(e.code).toBe(-32001);
    expect((e.data as any).policy_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((e.data as any).rule).toBe("tool_rules[2]");
    expect(existsSync(join(root, "hello.txt"))).toBe(true);
    const outside = await callError(s, "read_text_file", { path: "/etc/hostname" });
    expect(outside.code).toBe(-32001);
    expect(JSON.stringify(outside.data)).not.toContain(escapeRegex(root)); // the regex stays in the audit log
  });

  it("refuses a protected path with -32007", async () => {
    const e = await callError(s, "read_text_file", { path: join(root, "secret", "key.txt") });
    expect(e.code).toBe(-32007);
  });

  it("asks the human through MCP elicitation: accept runs the call, decline is -32004", async () => {
    answer = "accept";
    const ok = await s.client.callTool({ name: "write_file", arguments: { path: join(root, "approved.txt"), content: "yes" } });
    expect(ok.isError).toBeFalsy();
    expect(readFileSync(join(root, "approved.txt"), "utf8")).toBe("yes");
    expect(questions.at(-1)).toContain("write_file");
    expect(questions.at(-1)).toContain("approved.txt");

    answer = "decline";
    const e = await callError(s, "write_file", { path: join(root, "declined.txt"), content: "no" });
    expect(e.code).toBe(-32004);
    expect(existsSync(join(root, "declined.txt"))).toBe(false);
  });

  it("keeps other messages flowing while a question is open", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s2 = await connectSdk({ policy, server, dir, elicit: async () => (await gate, { action: "accept" }) });
    try {
      const pending = s2.client.callTool({ name: "write_file", arguments: { path: join(root, "later.txt"), content: "later" } });
      // While the human thinks, reads go through.
      for (let i = 0; i < 3; i++) expect(text(await s2.client.callTool({ name: "read_text_file", arguments: { path: join(root, "hello.txt") } }))).toContain("hello");
      expect(existsSync(join(root, "later.txt"))).toBe(false);
      release();
      await pending;
      expect(readFileSync(join(root, "later.txt"), "utf8")).toBe("later");
    } finally {
      await s2.close();
    }
  });

  it("writes one audit record per decision, each with the policy hash, before forwarding", async () => {
    const records = readAudit(s.audit);
    const hash = records.find((r) => r.event === "POLICY_LOADED")?.policy_hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    for (const r of records) {
      expect(r.policy_hash).toBe(hash);
      expect(r.bundle_version).toBe("2.1.0");
    }
    const calls = records.filter((r) => r.method === "tools/call");
    // One record per decision, in the order the calls were made; an ask adds the human's answer.
    expect(calls.filter((r) => r.event !== "APPROVAL").map((r) => [r.tool, r.decision, r.error_code ?? null])).toEqual([
      ["read_text_file", "ALLOW", null],
      ["move_file", "BLOCK", -32001],
      ["read_text_file", "BLOCK", -32001],
      ["read_text_file", "BLOCK", -32007],
      ["write_file", "ASK", null],
      ["write_file", "ASK", null],
    ]);
    expect(calls.find((r) => r.tool === "move_file")).toMatchObject({ decision: "BLOCK", error_code: -32001, violation: true, rule: "tool_rules[2]" });
    expect(calls.find((r) => r.tool === "read_text_file" && r.error_code === -32007)).toMatchObject({ event: "PROTECTED_PATH_BLOCKED", protected_path: join(root, "secret") });
    const outside = calls.find((r) => r.failed_arg === "path");
    expect(outside).toMatchObject({ decision: "BLOCK", failed_rule: `^${escapeRegex(root)}/`, args: { path: "/etc/hostname" } });
    const approvals = records.filter((r) => r.event === "APPROVAL");
    expect(approvals.map((r) => r.approval)).toEqual(expect.arrayContaining(["approved", "denied"]));
    expect(approvals.find((r) => r.approval === "denied")).toMatchObject({ decision: "BLOCK", error_code: -32004, approval_via: "elicitation" });
    expect(calls.filter((r) => r.tool === "read_text_file" && r.decision === "ALLOW").length).toBeGreaterThanOrEqual(1);
  });
});

describe("ask without anyone to ask", () => {
  it.skipIf(!SETSID)("denies as -32005 after --ask-timeout when the client has no elicitation and there is no terminal", async () => {
    const dir = tempDir();
    const policy = writeFile(dir, "ask.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: ask-test
spec:
  tool_rules:
    - tool: echo
      action: ask
`);
    const s = await connectSdk({ policy, dir, server: [process.execPath, EVERYTHING], proxyArgs: ["--ask-timeout", "400ms"], noTerminal: true });
    try {
      const t0 = performance.now();
      const e = await callError(s, "echo", { message: "hi" });
      expect(e.code).toBe(-32005);
      expect(e.message).toContain("User approval timeout");
      expect(performance.now() - t0).toBeGreaterThanOrEqual(380);
      expect(s.stderr()).toContain("nobody");
      expect(readAudit(s.audit).find((r) => r.event === "APPROVAL")).toMatchObject({ approval: "timeout", approval_via: "none", error_code: -32005 });
    } finally {
      await s.close();
    }
  });
});

describe("server-everything behind the proxy", () => {
  const dir = tempDir();
  const policyText = (extra = "") => `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: everything-test
spec:
  allowed_tools: [echo, get-sum, get-structured-content]
${extra}  dlp:
    filter_stderr: true
    patterns:
      - name: AWS Access Key
        regex: '\\b(AKIA|ASIA)[A-Z0-9]{16}\\b'
`;
  const policy = writeFile(dir, "everything.yaml", policyText());
  let s: SdkSession;
  let metricsUrl = "";
  let listChanged = 0;

  beforeAll(async () => {
    s = await connectSdk({ policy, dir, server: [process.execPath, EVERYTHING], proxyArgs: ["--metrics-addr", "127.0.0.1:0", "--verbose"] });
    s.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      listChanged++;
    });
    metricsUrl = await until(() => /Metrics on (http:\/\/\S+)\/metrics/.exec(s.stderr())?.[1], "the metrics address");
  });
  afterAll(async () => s?.close());

  it("redacts a secret from a real tool result, and logs only the redacted text", async () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const r = await s.client.callTool({ name: "echo", arguments: { message: `my key is ${key} ok` } });
    expect(text(r)).toBe("Echo: my key is [REDACTED:AWS Access Key] ok");
    const records = readAudit(s.audit);
    expect(records.find((x) => x.event === "DLP_TRIGGERED")).toMatchObject({ direction: "downstream", dlp_rule: "AWS Access Key", dlp_action: "REDACTED", dlp_match_count: 1 });
    // The audit copy of the arguments is redacted too, and --verbose logs server lines after DLP.
    expect(JSON.stringify(records)).not.toContain(key);
    expect(s.stderr()).toContain("← [downstream]");
    expect(s.stderr()).not.toContain(key);
  });

  it("serves Prometheus metrics, /healthz and /readyz", async () => {
    await s.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/aip_requests_total [1-9]/);
    expect(metrics).toMatch(/aip_policy_decisions\{decision="allow"\} [1-9]/);
    expect(metrics).toMatch(/aip_dlp_redactions_total\{rule="AWS Access Key"\} 1/);
    expect(metrics).toMatch(/aip_request_duration_seconds_count [1-9]/);
    expect(metrics).toContain("aip_policy_load_errors_total 0");
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(200);
  });

  it("reloads a changed policy without a restart, and keeps the old one when the new one is invalid", async () => {
    expect(text(await s.client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } }))).toContain("5");
    // An editor's save: a new file renamed over the old one.
    writeFileSync(`${policy}.tmp`, policyText("  tool_rules:\n    - tool: get-sum\n      action: block\n"));
    renameSync(`${policy}.tmp`, policy);
    const blocked = await until(async () => {
      try {
        await s.client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
        return null;
      } catch (e) {
        return e instanceof McpError ? e : null;
      }
    }, "get-sum to become blocked");
    expect(blocked.code).toBe(-32001);
    expect((await s.client.listTools()).tools.map((t) => t.name)).not.toContain("get-sum");
    await until(() => listChanged > 0, "notifications/tools/list_changed after the reload");

    writeFileSync(policy, policyText("  tool_rules:\n    - tool: get-sum\n      action: sometimes\n"));
    await until(() => s.stderr().includes("policy reload failed"), "the reload error");
    expect(s.stderr()).toMatch(/everything\.yaml:\d+:\d+/); // the error names file:line:column
    expect((await callError(s, "get-sum", { a: 1, b: 1 })).code).toBe(-32001); // still the previous policy
    expect(text(await s.client.callTool({ name: "echo", arguments: { message: "still here" } }))).toContain("still here");
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toContain("aip_policy_load_errors_total 1");
    expect(readAudit(s.audit).map((r) => r.event)).toEqual(expect.arrayContaining(["POLICY_RELOADED", "POLICY_LOAD_FAILED"]));
  });
});

describe("Kubernetes ConfigMap volumes", () => {
  it("reloads when the ..data symlink is swapped", async () => {
    const dir = tempDir();
    const vol = join(dir, "policy");
    const version = (name: string, tools: string) => {
      mkdirSync(join(vol, name), { recursive: true });
      writeFileSync(join(vol, name, "agent.yaml"), `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: configmap
spec:
  allowed_tools: [${tools}]
`);
    };
    version("..2026_01_01_00_00_00.1", "echo, get-sum");
    symlinkSync("..2026_01_01_00_00_00.1", join(vol, "..data"));
    symlinkSync("..data/agent.yaml", join(vol, "agent.yaml"));
    const s = await connectSdk({ policy: join(vol, "agent.yaml"), dir, server: [process.execPath, EVERYTHING] });
    try {
      expect(text(await s.client.callTool({ name: "get-sum", arguments: { a: 1, b: 1 } }))).toContain("2");
      // What the kubelet does: write the new version, point ..data_tmp at it, rename it over ..data.
      version("..2026_01_01_00_05_00.2", "echo");
      symlinkSync("..2026_01_01_00_05_00.2", join(vol, "..data_tmp"));
      renameSync(join(vol, "..data_tmp"), join(vol, "..data"));
      const e = await until(async () => {
        try {
          await s.client.callTool({ name: "get-sum", arguments: { a: 1, b: 1 } });
          return null;
        } catch (err) {
          return err instanceof McpError ? err : null;
        }
      }, "the new ConfigMap version to apply");
      expect(e.code).toBe(-32001);
    } finally {
      await s.close();
    }
  });
});
