import { writeFileSync } from "node:fs";
import { compilePolicyFile } from "../../../compiler/index.ts";
import { formatDiagnostic } from "../../../compiler/policy/types.ts";
import { UsageError, type Command } from "../command.ts";

export const compileCommand: Command = {
  name: "compile",
  summary: "Compile a policy to a bundle (.tgb) for the Envoy filter, the Worker or `--policy <bundle>`.",
  usage: "toolgate compile <policy.yaml> -o <bundle.tgb> [--home <dir>] [--cwd <dir>]",
  options: {
    output: { type: "string", short: "o", description: "where to write the bundle" },
    home: { type: "string", description: "home directory for `~` in protected_paths (default: yours)" },
    cwd: { type: "string", description: "directory relative protected_paths resolve against (default: current)" },
  },
  async run(values, files) {
    if (files.length !== 1) throw new UsageError("name exactly one policy file");
    if (!values.output) throw new UsageError("--output (-o) is required");
    const r = compilePolicyFile(files[0], { home: values.home, cwd: values.cwd });
    for (const w of r.warnings) process.stderr.write(formatDiagnostic(w) + "\n");
    writeFileSync(values.output, r.bytes);
    process.stdout.write(
      `${values.output}: ${r.bytes.length} bytes, policy_hash ${r.hash} (${r.stats.rules} rules, ${r.stats.regexes} regexes, ` +
        `${r.stats.dfaStates} DFA states, compiled in ${r.compileMs.toFixed(1)} ms)\n`,
    );
    return 0;
  },
};
