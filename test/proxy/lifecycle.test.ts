// The proxy as a process: the command line (aip-go's form, --target quoting, --generate-cursor-config),
// refusing what must not pass, signals and exit statuses, a dying server, the audit file's rotation.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { constants as osConstants } from "node:os";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BIN, ECHO, EVERYTHING, rawProxy, readAudit, tempDir, until, writeFile } from "./helpers.ts";

const dir = tempDir();
const POLICY = writeFile(dir, "agent.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: lifecycle
spec:
  allowed_tools: [echo_tool]
  dlp:
    filter_stderr: true
    patterns:
      - name: AWS Access Key
        regex: 'AKIA[A-Z0-9]{16}'
`);
const call = (id: number | string, tool = "echo_tool", args: object = {}) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: tool, arguments: args } });
const answered = (id: unknown) => (l: { msg: any }) => l.msg?.id === id;
const startedPid = (stderr: string) => Number(/Started subprocess PID (\d+)/.exec(stderr)?.[1]);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("command line", () => {
  it("runs aip-go's form: toolgate --policy ... --target \"...\" (quoted arguments kept whole)", async () => {
    const audit = join(dir, "bare.jsonl");
    const p = rawProxy(["--policy", POLICY, "--audit", audit, "--target", `${process.execPath} '${ECHO}' --stderr 'two words'`], dir);
    p.send(call(1));
    const r = await p.next(answered(1));
    expect(JSON.parse(r.msg.result.line)).toMatchObject({ id: 1, method: "tools/call" });
    await until(() => p.stderr.includes("two words"), "the server's stderr");
    expect((await p.stop()).code).toBe(0);
  });

  it("prints aip-go's cursor config", () => {
    const r = spawnSync(process.execPath, [BIN, "--policy", POLICY, "--target", "npx -y @modelcontextprotocol/server-filesystem /data", "--generate-cursor-config"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(Object.keys(cfg.mcpServers["protected-tool"])).toEqual(["args", "command"]);
    expect(cfg.mcpServers["protected-tool"].command).toBe(process.execPath);
    expect(cfg.mcpServers["protected-tool"].args.slice(1)).toEqual(["--policy", POLICY, "--target", "npx -y @modelcontextprotocol/server-filesystem /data"]);
    expect(r.stdout).toContain('\n  "mcpServers": {');
    expect(r.stderr).toContain("~/.cursor/mcp.json");
  });

  it("refuses stdout as the audit file, a missing target and a broken policy", () => {
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: dir });
    const out = run(["--policy", POLICY, "--audit", "/dev/stdout", "--target", "true"]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("stdout");
    const none = run(["proxy", "--policy", POLICY]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("--target flag is required");
    const bad = writeFile(dir, "bad.yaml", "apiVersion: aip.io/v1alpha1\nkind: AgentPolicy\nmetadata:\n  name: bad\nspec:\n  alowed_tools: [x]\n");
    const broken = run(["--policy", bad, "--target", "true"]);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/bad\.yaml:6:\d+/);
    const missing = run(["proxy", "--policy", POLICY, "--", "/nonexistent/server"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("cannot start the MCP server");
  });
});

describe("what never passes", () => {
  it("refuses batches, garbage and oversized lines, and keeps going", async () => {
    const audit = join(dir, "refuse.jsonl");
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", audit, "--max-message-bytes", "2k", "--", process.execPath, ECHO], dir);
    p.send(`[${call(1)}]`);
    p.send("{not json");
    p.send(call(2, "echo_tool", { pad: "x".repeat(5000) }));
    p.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","Method":"ping","params":{"name":"echo_tool"}}`);
    p.send(call(4));
    await p.next(answered(4));
    const errors = p.lines.filter((l) => l.msg?.error).map((l) => [l.msg.id, l.msg.error.code]);
    expect(errors).toEqual([[null, -32600], [null, -32700], [null, -32600], [3, -32600]]);
    // Only the good message reached the server.
    const echoed = p.lines.filter((l) => l.msg?.result).map((l) => l.msg.id);
    expect(echoed).toEqual([4]);
    await p.stop();
    expect(readAudit(audit).filter((r) => r.event === "INVALID_MESSAGE").length).toBeGreaterThanOrEqual(3);
  });

  it("redacts the server's stderr when the policy sets dlp.filter_stderr", async () => {
    const audit = join(dir, "stderr.jsonl");
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", audit, "--", process.execPath, ECHO, "--stderr", "boot key AKIAIOSFODNN7EXAMPLE loaded"], dir);
    await until(() => /^boot key \[REDACTED:AWS Access Key\] loaded$/m.test(p.stderr), "the server's stderr, redacted");
    await p.stop();
    // Neither the server's stderr nor the proxy's own log of the command line shows the key.
    expect(p.stderr).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(readAudit(audit).find((r) => r.event === "DLP_TRIGGERED")).toMatchObject({ source: "stderr", dlp_rule: "AWS Access Key" });
  });
});

describe("signals and exits", () => {
  it("passes SIGTERM to the server, drains, and exits with the server's status", async () => {
    const audit = join(dir, "sigterm.jsonl");
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", audit, "--", process.execPath, ECHO, "--exit-on-sigterm", "42"], dir);
    p.send(call(1));
    await p.next(answered(1));
    const pid = startedPid(p.stderr);
    expect(alive(pid)).toBe(true);
    p.child.kill("SIGTERM");
    const exit = await p.exited;
    expect(exit.code).toBe(42);
    expect(p.stderr).toContain("SIGTERM: passing it to the MCP server");
    expect(alive(pid)).toBe(false); // reaped, not a zombie
    const records = readAudit(audit);
    expect(records.at(-1)).toMatchObject({ event: "SERVER_EXITED", code: 42 });
  });

  it("exits as a real MCP server exits on SIGTERM (server-everything with and without the proxy)", async () => {
    const direct = spawn(process.execPath, [EVERYTHING], { stdio: ["pipe", "pipe", "pipe"] });
    let started = "";
    direct.stderr.on("data", (c) => (started += c));
    await until(() => started.includes("Starting"), "server-everything to start");
    direct.kill("SIGTERM");
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => direct.once("close", (c, s) => r([c, s])));
    const expected = code ?? 128 + (osConstants.signals as Record<string, number>)[signal!];

    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", join(dir, "everything.jsonl"), "--", process.execPath, EVERYTHING], dir);
    p.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    await p.next(answered(1));
    const pid = startedPid(p.stderr);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(expected);
    expect(alive(pid)).toBe(false);
  });

  it("reports a server killed by a signal as 128 + the signal number", async () => {
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", join(dir, "killed.jsonl"), "--", process.execPath, ECHO], dir);
    p.send(call(1));
    await p.next(answered(1));
    p.child.kill("SIGINT");
    expect((await p.exited).code).toBe(130);
  });

  it("ends with a clear message when the server dies on its own", async () => {
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", join(dir, "crash.jsonl"), "--", process.execPath, ECHO, "--crash-after", "2"], dir);
    p.send(call(1));
    p.send(call(2));
    const exit = await p.exited;
    expect(exit.code).toBe(3);
    expect(p.stderr).toContain("exited with code 3 unexpectedly");
    // Both answers were delivered before the proxy ended.
    expect(p.lines.filter((l) => l.msg?.result).map((l) => l.msg.id)).toEqual([1, 2]);
  });

  it("closes the server's input when the client closes ours, and exits with its status", async () => {
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", join(dir, "eof.jsonl"), "--", process.execPath, ECHO], dir);
    for (let i = 1; i <= 50; i++) p.send(call(i));
    const exit = await p.stop();
    expect(exit.code).toBe(0);
    expect(p.lines.filter((l) => l.msg?.result).length).toBe(50);
  });
});

describe("audit file", () => {
  it("rotates by size and every line stays a valid record", async () => {
    const sub = tempDir();
    const audit = join(sub, "aip-audit.jsonl");
    const p = rawProxy(["proxy", "--policy", POLICY, "--audit", audit, "--audit-max-bytes", "4k", "--audit-keep", "2", "--", process.execPath, ECHO], sub);
    for (let i = 1; i <= 200; i++) p.send(call(i, "echo_tool", { n: i }));
    await p.next(answered(200));
    await p.stop();
    const files = readdirSync(sub).filter((f) => f.startsWith("aip-audit.jsonl")).sort();
    expect(files).toEqual(["aip-audit.jsonl", "aip-audit.jsonl.1", "aip-audit.jsonl.2"]);
    for (const f of files) {
      const text = readFileSync(join(sub, f), "utf8");
      expect(text.length).toBeLessThanOrEqual(4096);
      for (const line of text.split("\n").filter(Boolean)) expect(JSON.parse(line).policy_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    // The newest records are the last calls.
    expect(readAudit(audit).filter((r) => r.tool).at(-1)).toMatchObject({ args: { n: 200 } });
    expect(existsSync(`${audit}.3`)).toBe(false);
  });
});
