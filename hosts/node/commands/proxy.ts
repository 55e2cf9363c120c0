// `toolgate proxy`: the stdio MCP proxy, and aip-go's command line (`toolgate --policy agent.yaml --target "..."`).
import { CommandLineError, joinCommandLine, splitCommandLine } from "../proxy/command-line.ts";
import { cursorConfig } from "../proxy/cursor-config.ts";
import { parseSize } from "../proxy/audit-file.ts";
import { runProxy, type ProxyOptions } from "../proxy/proxy.ts";
import { CliError, UsageError, type Command } from "../command.ts";
import type { ArgsMode } from "../../kit/audit.ts";

/** "60s", "1m30s", "500ms", or a number of seconds. */
export function parseDuration(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, n, u) => {
    total += Number(n) * unit[u];
    return "";
  });
  if (rest !== "" || text === "") throw new UsageError(`not a duration: ${JSON.stringify(text)} (e.g. 60s, 500ms, 2m)`);
  return total;
}

/** A size option ("16M", "512K", bytes), or a usage error naming the option. */
export function size(name: string, text: string): number {
  try {
    return parseSize(text);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

const BOOLEANS = ["verbose", "generate-cursor-config", "no-reload"];

export const proxyCommand: Command = {
  name: "proxy",
  summary: "Run an MCP server (stdio) behind the policy: every message is decided, results are redacted, all is audited.",
  usage:
    "toolgate proxy --policy agent.yaml [options] -- <command> [args ...]\n" +
    "       toolgate --policy agent.yaml --target \"<command line>\" [options]   (aip-go's form)",
  options: {
    policy: { type: "string", description: "policy YAML or compiled bundle (default: agent.yaml); reloaded when it changes" },
    target: { type: "string", description: "the MCP server's command line (quoted as in sh); or give argv after --" },
    audit: { type: "string", description: "audit log file, JSON Lines (default: aip-audit.jsonl)" },
    "audit-args": { type: "string", description: "tool arguments in the audit log: full (DLP-redacted, default), hash, none" },
    "audit-max-bytes": { type: "string", description: "rotate the audit log at this size, e.g. 100M (default: never)" },
    "audit-keep": { type: "string", description: "rotated audit files kept (default: 5)" },
    verbose: { type: "boolean", description: "log every message on stderr (server messages after DLP)" },
    "metrics-addr": { type: "string", description: "serve /metrics, /healthz, /readyz on host:port, e.g. 127.0.0.1:9091" },
    "ask-timeout": { type: "string", description: "how long an ask rule waits for a human (default: 60s), then -32005" },
    approval: { type: "string", description: "approval channels in order: elicitation,tty (default), elicitation, tty, none" },
    "max-message-bytes": { type: "string", description: "largest client message (default: 16M); larger ones are refused" },
    "max-server-message-bytes": { type: "string", description: "largest server message scanned (default: 128M); larger ones are withheld" },
    "no-reload": { type: "boolean", description: "do not reload the policy when its file changes (SIGHUP still does)" },
    home: { type: "string", description: "home directory for `~` in protected_paths (default: yours)" },
    cwd: { type: "string", description: "directory relative protected_paths resolve against (default: current)" },
    "generate-cursor-config": { type: "boolean", description: "print the ~/.cursor/mcp.json entry for this command and exit" },
  },

  // aip-go is parsed by Go's flag package: `-policy x` and `--verbose=true` work there, so they work here.
  normalizeArgs(args: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === "--") {
        out.push(...args.slice(i));
        break;
      }
      const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(a);
      if (m && m[1] in proxyCommand.options) {
        if (BOOLEANS.includes(m[1])) {
          if (m[2] === undefined || /^(true|1)$/i.test(m[2])) out.push(`--${m[1]}`);
          else if (!/^(false|0)$/i.test(m[2])) out.push(a); // let the parser report it
          continue;
        }
        out.push(m[2] === undefined ? `--${m[1]}` : `--${m[1]}=${m[2]}`);
        continue;
      }
      out.push(a);
    }
    return out;
  },

  async run(values, positionals) {
    if (values.target !== undefined && positionals.length > 0) throw new UsageError("give the server either with --target or after --, not both");
    let command: string[];
    try {
      command = values.target !== undefined ? splitCommandLine(values.target) : positionals;
    } catch (e) {
      if (e instanceof CommandLineError) throw new UsageError(e.message);
      throw e;
    }
    const policy = values.policy ?? "agent.yaml";
    if (values["generate-cursor-config"]) {
      if (command.length === 0) throw new CliError("--target flag is required");
      const { json, warnings } = cursorConfig(policy, values.target ?? joinCommandLine(command));
      for (const w of warnings) process.stderr.write(w + "\n");
      process.stdout.write(json);
      process.stderr.write("\nAdd the above JSON to ~/.cursor/mcp.json (or your MCP client's configuration).\n");
      return 0;
    }
    if (command.length === 0) throw new UsageError("--target flag is required (or give the server's command after --)");
    const argsMode = (values["audit-args"] ?? "full") as ArgsMode;
    if (!["full", "hash", "none"].includes(argsMode)) throw new UsageError("--audit-args must be full, hash or none");
    const approval = (values.approval ?? "elicitation,tty").split(",").map((s: string) => s.trim()).filter((s: string) => s && s !== "none");
    for (const a of approval) if (a !== "elicitation" && a !== "tty") throw new UsageError(`--approval: unknown channel ${JSON.stringify(a)}`);
    const keep = Number(values["audit-keep"] ?? 5);
    if (!Number.isInteger(keep) || keep < 1) throw new UsageError("--audit-keep must be a positive integer");
    const options: ProxyOptions = {
      policy,
      command,
      audit: values.audit ?? "aip-audit.jsonl",
      auditArgs: argsMode,
      auditMaxBytes: values["audit-max-bytes"] ? size("audit-max-bytes", values["audit-max-bytes"]) : 0,
      auditKeep: keep,
      verbose: Boolean(values.verbose),
      metricsAddr: values["metrics-addr"] ?? null,
      askTimeoutMs: parseDuration(values["ask-timeout"] ?? "60s"),
      approval,
      home: values.home,
      cwd: values.cwd,
      maxMessageBytes: size("max-message-bytes", values["max-message-bytes"] ?? "16M"),
      maxServerMessageBytes: size("max-server-message-bytes", values["max-server-message-bytes"] ?? "128M"),
      reload: !values["no-reload"],
      graceMs: 10_000,
    };
    const status = await runProxy(options);
    // Everything is closed by now; should a handle still hold the event loop, it must not keep the proxy alive.
    setTimeout(() => process.exit(status), 2000).unref();
    return status;
  },
};
