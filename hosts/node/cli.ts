// The `toolgate` command line: one file per command under commands/.
import { parseArgs } from "node:util";
import { PolicyError } from "../../compiler/policy/types.ts";
import { BundleCompileError } from "../../compiler/bundle/write.ts";
import { BundleError, EngineTrap } from "../kit/engine.ts";
import { validateCommand } from "./commands/validate.ts";
import { compileCommand } from "./commands/compile.ts";
import { evalCommand } from "./commands/eval.ts";
import { conformanceCommand } from "./commands/conformance.ts";
import { demoCommand } from "./commands/demo.ts";
import { proxyCommand } from "./commands/proxy.ts";
import { gatewayCommand } from "./commands/gateway.ts";
import { VERSION } from "./version.ts";
import { CliError, UsageError, type Command } from "./command.ts";
import { PolicyLoadError } from "./proxy/compile-worker.ts";
import { AuditPathError } from "./proxy/audit-file.ts";
import { StartupError } from "./proxy/proxy.ts";
import { GatewayConfigError } from "./gateway/gateway.ts";

// The proxy compiles policies in a worker thread whose module is this bundle.
export { compileForWorker } from "./proxy/compile-worker.ts";

const COMMANDS: Command[] = [proxyCommand, gatewayCommand, validateCommand, compileCommand, evalCommand, conformanceCommand, demoCommand];

function help(): string {
  const lines = [
    `toolgate ${VERSION}: policy engine for AI agents' MCP tool calls (AIP AgentPolicy).`,
    "",
    "Usage: toolgate <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(13)} ${c.summary}`),
    "",
    "Run `toolgate <command> --help` for the options of a command.",
  ];
  return lines.join("\n") + "\n";
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options ?? {}).map(([name, o]) => {
    const flag = `--${name}${o.type === "string" ? " <value>" : ""}${o.short ? `, -${o.short}` : ""}`;
    return `  ${flag.padEnd(28)} ${o.description}`;
  });
  return `Usage: ${c.usage}\n\n${c.summary}\n${opts.length ? "\nOptions:\n" + opts.join("\n") + "\n" : ""}`;
}

export async function main(argv: string[]): Promise<number> {
  // aip-go's command line has no command name (`toolgate --policy agent.yaml --target "..."`): it means proxy.
  if (argv[0]?.startsWith("-") && !["--help", "-h", "--version", "-v"].includes(argv[0])) argv = ["proxy", ...argv];
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`toolgate: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest; // after --: the server's arguments
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  try {
    const options = Object.fromEntries(Object.entries(cmd.options).map(([k, { description: _, ...o }]) => [k, o]));
    const args = cmd.normalizeArgs ? cmd.normalizeArgs(rest) : rest;
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return await cmd.run(values, positionals);
  } catch (e) {
    if (e instanceof UsageError || (e as any)?.code?.startsWith?.("ERR_PARSE_ARGS")) {
      process.stderr.write(`toolgate ${cmd.name}: ${(e as Error).message}\n\n${commandHelp(cmd)}`);
      return 2;
    }
    // A policy that does not compile: its own lines say file:line:column.
    if (e instanceof PolicyError || e instanceof BundleCompileError || e instanceof PolicyLoadError) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 1;
    }
    const userFacing = [CliError, BundleError, EngineTrap, StartupError, GatewayConfigError, AuditPathError];
    if (userFacing.some((c) => e instanceof c) || (e as any)?.code === "ENOENT") {
      process.stderr.write(`toolgate ${cmd.name}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
