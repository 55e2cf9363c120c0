import { compilePolicyFile } from "../../../compiler/index.ts";
import { formatDiagnostic } from "../../../compiler/policy/types.ts";
import { UsageError, type Command } from "../command.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "Check policy files: schema, types, regexes (compiled to DFAs), every problem with file:line:column.",
  usage: "toolgate validate <policy.yaml> [more.yaml ...]",
  options: { quiet: { type: "boolean", short: "q", description: "print nothing for valid policies" } },
  async run(values, files) {
    if (files.length === 0) throw new UsageError("name at least one policy file");
    let failed = 0;
    for (const file of files) {
      try {
        const r = compilePolicyFile(file);
        for (const w of r.warnings) process.stderr.write(formatDiagnostic(w) + "\n");
        if (!values.quiet) {
          process.stdout.write(
            `${file}: ok (${r.policy.apiVersion}, mode ${r.policy.mode}, ${r.stats.tools} tools, ${r.stats.rules} rules, ` +
              `${r.stats.regexes} regexes, policy_hash ${r.hash})\n`,
          );
        }
      } catch (e) {
        if (!(e instanceof Error) || !("diagnostics" in e || (e as any).code === "ENOENT")) throw e;
        process.stderr.write(`${e.message}\n`);
        failed++;
      }
    }
    return failed ? 1 : 0;
  },
};
