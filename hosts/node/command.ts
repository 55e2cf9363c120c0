// What a `toolgate` command is, and the two errors a command raises for its user (cli.ts prints them).

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  description: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  run(values: Record<string, any>, positionals: string[]): Promise<number>;
  /** Rewrite the arguments before they are parsed (e.g. aip-go's Go-style `-flag`). */
  normalizeArgs?(args: string[]): string[];
}

/** Raised for a wrong command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** Raised for a failure the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {}
