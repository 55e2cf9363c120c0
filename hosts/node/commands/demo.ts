import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Command } from "../command.ts";

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url)); // build/cli.mjs -> package root
const POLICY = root("examples/demo.yaml");
const WORKSPACE = root("examples/workspace");
const SERVER = root("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

/** What the demo client sends, after initialize: each one shows a different decision. */
const CALLS: [string, string, Record<string, unknown>][] = [
  ["list the workspace (allowed)", "list_directory", { path: WORKSPACE }],
  ["read a file with a credential (allowed, the key is redacted)", "read_text_file", { path: `${WORKSPACE}/deploy.env` }],
  ["read ~/.ssh/id_rsa (protected path)", "read_text_file", { path: "~/.ssh/id_rsa" }],
  ["move a file (action: block)", "move_file", { source: `${WORKSPACE}/README.md`, destination: "/tmp/x" }],
  ["edit a file (a tool the policy does not list)", "edit_file", { path: `${WORKSPACE}/README.md`, edits: [] }],
  ["write a file (action: ask; no human here, so it times out)", "write_file", { path: `${WORKSPACE}/new.txt`, content: "hi" }],
];

export const demoCommand: Command = {
  name: "demo",
  summary: "Run the stdio proxy in front of the reference filesystem MCP server with examples/demo.yaml, and show each decision.",
  usage: "toolgate demo",
  options: {},
  async run() {
    const proxy = spawn(
      process.execPath,
      [root("bin/toolgate.js"), "proxy", "--policy", POLICY, "--audit", root("build/demo-audit.jsonl"), "--ask-timeout", "2s", "--", process.execPath, SERVER, WORKSPACE],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const pending = new Map<number, (m: any) => void>();
    createInterface({ input: proxy.stdout! }).on("line", (line) => {
      const m = JSON.parse(line);
      pending.get(m.id)?.(m);
    });
    let next = 1;
    const request = (method: string, params: unknown) =>
      new Promise<any>((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        proxy.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
      });
    const show = (title: string, m: any) => {
      process.stdout.write(`\n${title}\n`);
      if (m.error) process.stdout.write(`  refused ${m.error.code} ${m.error.message}: ${m.error.data?.reason ?? ""} [${m.error.data?.rule ?? ""}]\n`);
      else process.stdout.write(`  ${JSON.stringify(m.result?.content?.[0]?.text ?? m.result).slice(0, 300)}\n`);
    };
    await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "toolgate-demo", version: "1" } });
    proxy.stdin!.write(`{"jsonrpc":"2.0","method":"notifications/initialized"}\n`);
    const list = await request("tools/list", {});
    process.stdout.write(`tools the agent sees (blocked ones are hidden): ${list.result.tools.map((t: any) => t.name).join(", ")}\n`);
    for (const [title, name, args] of CALLS) show(title, await request("tools/call", { name, arguments: args }));
    proxy.stdin!.end();
    await new Promise((r) => proxy.on("exit", r));
    process.stdout.write(`\naudit records: build/demo-audit.jsonl\n`);
    return 0;
  },
};
