// `ask` on the controlling terminal, for a client without elicitation started from a terminal: the proxy
// prompts on /dev/tty (a real pty here) and relays the answer. Needs python3 for the pty.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { BIN, EVERYTHING, ROOT, tempDir, writeFile } from "./helpers.ts";

const PYTHON = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
})();

describe.skipIf(!PYTHON)("ask on the terminal", () => {
  const dir = tempDir();
  const policy = writeFile(dir, "ask.yaml", `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: tty-test
spec:
  tool_rules:
    - tool: echo
      action: ask
`);

  async function session(answer: "y" | "n") {
    let stderr = "";
    const transport = new StdioClientTransport({
      command: PYTHON!,
      args: [join(ROOT, "test/proxy/fixtures/with-tty.py"), process.execPath, BIN, "proxy", "--policy", policy, "--audit", join(dir, `audit-${answer}.jsonl`), "--ask-timeout", "10s", "--", process.execPath, EVERYTHING],
      env: { ...process.env, TTY_ANSWER: answer } as Record<string, string>,
      stderr: "pipe",
    });
    transport.stderr?.on("data", (c: Buffer) => (stderr += c));
    const client = new Client({ name: "no-elicitation", version: "1.0.0" }); // declares no elicitation
    await client.connect(transport);
    return { client, stderr: () => stderr };
  }

  it("runs the call when the person answers y", async () => {
    const s = await session("y");
    try {
      const r = await s.client.callTool({ name: "echo", arguments: { message: "approved on the tty" } });
      expect(JSON.stringify(r.content)).toContain("approved on the tty");
      expect(s.stderr()).toContain("Tool: echo");
    } finally {
      await s.client.close();
    }
  });

  it("answers -32004 when the person answers n", async () => {
    const s = await session("n");
    try {
      const e = await s.client.callTool({ name: "echo", arguments: { message: "no" } }).then(() => null, (err) => err);
      expect(e).toBeInstanceOf(McpError);
      expect((e as McpError).code).toBe(-32004);
    } finally {
      await s.client.close();
    }
  });
});
