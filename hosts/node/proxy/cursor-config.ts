// --generate-cursor-config: the mcp.json entry that runs this proxy in front of the target, in aip-go's shape
// ({"mcpServers":{"protected-tool":{"args":[...],"command":...}}}, keys sorted, 2-space indent). The command
// is the absolute path of node and the first argument the toolgate script, because editors start MCP servers
// with a minimal PATH in which `node` (for the script's #!) is often missing.
import { existsSync, realpathSync } from "node:fs";
import { resolve } from "node:path";

export function cursorConfig(policy: string, target: string, script = process.argv[1]): { json: string; warnings: string[] } {
  const warnings: string[] = [];
  const policyPath = resolve(policy);
  if (!existsSync(policyPath)) warnings.push(`Warning: policy file ${policyPath} does not exist yet`);
  const config = {
    mcpServers: {
      "protected-tool": {
        args: [realpathSync(script), "--policy", policyPath, "--target", target],
        command: process.execPath,
      },
    },
  };
  return { json: JSON.stringify(config, null, 2) + "\n", warnings };
}
