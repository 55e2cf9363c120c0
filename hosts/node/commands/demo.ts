import { fileURLToPath } from "node:url";
import { decisionRecord } from "../../kit/decision.ts";
import { newEngine } from "../../kit/node.ts";
import { loadPolicySource } from "../policy-source.ts";
import type { Command } from "../cli.ts";

const EXAMPLE = fileURLToPath(new URL("../examples/agent.yaml", import.meta.url));

const MESSAGES = [
  `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/workspace/README.md"}}}`,
  `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}}`,
  `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_file","arguments":{"path":"/workspace/a"}}}`,
  `{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"file:///etc/hosts"}}`,
  `[{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"delete_file"}}]`,
];

export const demoCommand: Command = {
  name: "demo",
  summary: "Decide a few example messages against examples/agent.yaml and show what the client would get.",
  usage: "toolgate demo [--policy <policy.yaml>]",
  options: { policy: { type: "string", short: "p", description: `policy to use (default: ${EXAMPLE})` } },
  async run(values) {
    const policy = loadPolicySource(values.policy ?? EXAMPLE);
    const engine = newEngine();
    engine.loadBundle(policy.bytes);
    process.stdout.write(`policy ${values.policy ?? "examples/agent.yaml"} (policy_hash ${engine.policyHash})\n\n`);
    for (const m of MESSAGES) {
      const v = engine.evaluate(m);
      const r = decisionRecord(v, null);
      process.stdout.write(`-> ${m}\n   ${r.decision}${r.error_code ? ` ${r.error_code}` : ""}${r.rule ? ` [${r.rule}]` : ""}${r.reason ? `: ${r.reason}` : ""}\n`);
      if (v.response) process.stdout.write(`<- ${new TextDecoder().decode(v.response)}\n`);
      process.stdout.write("\n");
    }
    return 0;
  },
};
