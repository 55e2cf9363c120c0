import { createInterface } from "node:readline";
import { decisionRecord } from "../../kit/decision.ts";
import { newEngine } from "../../kit/node.ts";
import { loadPolicySource } from "../policy-source.ts";
import { UsageError, type Command } from "../command.ts";

export const evalCommand: Command = {
  name: "eval",
  summary: "Decide JSON-RPC messages (--message, or one per line on stdin); prints one JSON decision per message.",
  usage: "toolgate eval --policy <policy.yaml|bundle.tgb> [--message '<json>']",
  options: {
    policy: { type: "string", short: "p", description: "policy YAML or compiled bundle" },
    message: { type: "string", short: "m", multiple: true, description: "a JSON-RPC message (repeatable); default: stdin lines" },
    response: { type: "boolean", description: "print the JSON-RPC error the client would receive, too" },
  },
  async run(values) {
    if (!values.policy) throw new UsageError("--policy is required");
    const policy = loadPolicySource(values.policy);
    for (const w of policy.warnings) process.stderr.write(w + "\n");
    const engine = newEngine();
    engine.loadBundle(policy.bytes);
    const decide = (line: string) => {
      const v = engine.evaluate(line);
      if (v.verdict === "drop" && v.kind === "invalid" && v.reason === "") return; // blank line
      const out: Record<string, unknown> = { ...decisionRecord(v, engine.policyHash) };
      if (values.response && v.response) out.response = JSON.parse(new TextDecoder().decode(v.response));
      process.stdout.write(JSON.stringify(out) + "\n");
    };
    if (values.message?.length) {
      values.message.forEach(decide);
      return 0;
    }
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) decide(line);
    return 0;
  },
};
