import { existsSync } from "node:fs";
import { findVectorFiles, runDriver, type RunSummary } from "../../../conformance/runner.ts";
import { EngineDriver } from "../../../conformance/drivers/engine.ts";
import { StdioDriver } from "../../../conformance/drivers/stdio.ts";
import { WorkerDriver } from "../../../conformance/drivers/worker.ts";
import { EnvoyDriver } from "../../../conformance/drivers/envoy.ts";
import { HttpDriver } from "../../../conformance/drivers/http.ts";
import type { HostDriver } from "../../../conformance/types.ts";
import { CliError, UsageError, type Command } from "../command.ts";

const DRIVERS: Record<string, () => HostDriver> = {
  engine: () => new EngineDriver(),
  stdio: () => new StdioDriver(),
  http: () => new HttpDriver(),
  envoy: () => new EnvoyDriver(),
  worker: () => new WorkerDriver(),
};

function table(s: RunSummary): string {
  const byFile = new Map<string, { passed: number; failed: number; skipped: number }>();
  for (const r of s.results) {
    const f = byFile.get(r.file) ?? { passed: 0, failed: 0, skipped: 0 };
    if (r.skipped) f.skipped++;
    else if (r.ok) f.passed++;
    else f.failed++;
    byFile.set(r.file, f);
  }
  const width = Math.max(20, ...[...byFile.keys()].map((k) => k.length));
  const row = (name: string, p: number | string, f: number | string, k: number | string) =>
    `  ${name.padEnd(width)}  ${String(p).padStart(6)}  ${String(f).padStart(6)}  ${String(k).padStart(7)}`;
  const lines = [`host ${s.host}`, row("vector file", "passed", "failed", "skipped")];
  for (const [file, c] of byFile) lines.push(row(file, c.passed, c.failed, c.skipped));
  lines.push(row("total", s.passed, s.failed, s.skipped));
  for (const r of s.results.filter((r) => !r.ok && !r.skipped)) {
    lines.push(`FAIL ${r.file} ${r.id} (${r.description})`);
    for (const f of r.failures) lines.push(`     ${f}`);
  }
  return lines.join("\n") + "\n";
}

/** `--host all`: one table of vector files by host, each cell "passed / failed", then every failure. */
function matrix(summaries: RunSummary[]): string {
  const files = [...new Set(summaries.flatMap((s) => s.results.map((r) => r.file)))];
  const cell = (s: RunSummary, file?: string) => {
    const rs = s.results.filter((r) => !r.skipped && (file === undefined || r.file === file));
    const passed = rs.filter((r) => r.ok).length;
    return `${passed} / ${rs.length - passed}`;
  };
  const width = Math.max(20, ...files.map((f) => f.length));
  const cols = summaries.map((s) => Math.max(s.host.length, 11));
  const row = (name: string, cells: string[]) => `  ${name.padEnd(width)}${cells.map((c, i) => `  ${c.padStart(cols[i])}`).join("")}`;
  const lines = ["passed / failed by host", row("vector file", summaries.map((s) => s.host))];
  for (const f of files) lines.push(row(f, summaries.map((s) => cell(s, f))));
  lines.push(row("total", summaries.map((s) => cell(s))));
  for (const s of summaries) {
    for (const r of s.results.filter((r) => !r.ok && !r.skipped)) {
      lines.push(`FAIL [${s.host}] ${r.file} ${r.id} (${r.description})`);
      for (const f of r.failures) lines.push(`     ${f}`);
    }
  }
  return lines.join("\n") + "\n";
}

function runHost(host: string, files: string[]): Promise<RunSummary> {
  return runDriver(DRIVERS[host](), files);
}

export const conformanceCommand: Command = {
  name: "conformance",
  summary: "Run conformance vector files (AIP format + toolgate extensions) through a host; exit 1 on any failure.",
  usage: "toolgate conformance [files or dirs ...] --host engine|stdio|http|envoy|worker|all [--json] [--if-present <dir>]",
  options: {
    host: { type: "string", description: `host to run the vectors through: ${Object.keys(DRIVERS).join(", ")}, or all (one table)` },
    json: { type: "boolean", description: "print one JSON summary object instead of the table" },
    "if-present": { type: "string", multiple: true, description: "also run this directory when it exists (else say it is absent)" },
  },
  async run(values, paths) {
    const host = values.host ?? "engine";
    if (!DRIVERS[host] && host !== "all") throw new UsageError(`unknown host ${JSON.stringify(host)} (hosts: ${Object.keys(DRIVERS).join(", ")}, all)`);
    const all = [...paths];
    for (const dir of values["if-present"] ?? []) {
      if (existsSync(dir)) all.push(dir);
      else process.stderr.write(`conformance: ${dir} is absent: its vectors were not run\n`);
    }
    if (all.length === 0) throw new UsageError("name vector files or directories");
    let files: string[];
    try {
      files = findVectorFiles(all);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (host === "all") {
      const summaries: RunSummary[] = [];
      for (const h of Object.keys(DRIVERS)) summaries.push(await runHost(h, files));
      const failed = summaries.reduce((n, s) => n + s.failed, 0);
      if (values.json) {
        process.stdout.write(JSON.stringify({ host: "all", hosts: summaries.map(({ host, total, passed, failed, skipped }) => ({ host, total, passed, failed, skipped })) }) + "\n");
      } else {
        process.stdout.write(matrix(summaries));
        process.stdout.write(`conformance: ${summaries.reduce((n, s) => n + s.passed, 0)} passed, ${failed} failed\n`);
      }
      return failed > 0 || summaries.some((s) => s.total === 0) ? 1 : 0;
    }
    const summary = await runHost(host, files);
    if (values.json) {
      const failures = summary.results.filter((r) => !r.ok && !r.skipped).map(({ file, id, description, failures }) => ({ file, id, description, failures }));
      process.stdout.write(JSON.stringify({ host, total: summary.total, passed: summary.passed, failed: summary.failed, skipped: summary.skipped, failures }) + "\n");
    } else {
      process.stdout.write(table(summary));
      process.stdout.write(`conformance: ${summary.passed} passed, ${summary.failed} failed\n`);
    }
    return summary.failed > 0 || summary.total === 0 ? 1 : 0;
  },
};
