// Every conformance vector end to end through the stdio proxy (conformance/drivers/stdio.ts): a client on
// the pipes of a real `toolgate proxy` process in front of a reporting MCP server. A failure names the engine's
// own outcome for the same vector, so it shows at once whether the proxy or the engine is wrong.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { findVectorFiles, runFiles, type RunSummary } from "../../conformance/runner.ts";
import { EngineDriver } from "../../conformance/drivers/engine.ts";
import { StdioDriver } from "../../conformance/drivers/stdio.ts";
import type { HostDriver } from "../../conformance/types.ts";
import { ROOT } from "./helpers.ts";

const AIP = join(ROOT, "..", "shared", "aip-conformance");

async function run(driver: HostDriver, files: string[]): Promise<RunSummary> {
  await driver.open();
  try {
    return await runFiles(driver, files);
  } finally {
    await driver.close();
  }
}

async function failures(stdio: RunSummary, files: string[]): Promise<string[]> {
  const failed = stdio.results.filter((r) => !r.ok && !r.skipped);
  if (failed.length === 0) return [];
  const engine = await run(new EngineDriver(), files.filter((f) => failed.some((r) => resolve(r.file) === resolve(f))));
  const reference = new Map(engine.results.map((r) => [`${r.file} ${r.id}`, r]));
  return failed.map((r) => `${r.file} ${r.id}: ${r.failures.join("; ")} (engine in-process: ${reference.get(`${r.file} ${r.id}`)?.ok ? "passes" : "fails too"})`);
}

describe("conformance vectors through the stdio proxy", () => {
  it("passes every vector the stdio transport can carry", async () => {
    const files = findVectorFiles([join(ROOT, "conformance", "vectors"), ...(existsSync(AIP) ? [AIP] : [])]);
    const stdio = await run(new StdioDriver(), files);
    expect(stdio.total).toBeGreaterThan(700);
    // Skipped only where stated: vectors for other hosts (`hosts:`) and what stdio cannot express (no policy).
    for (const r of stdio.results.filter((r) => r.skipped)) expect(r.skipped).toMatch(/^only on |^not applicable: /);
    expect(await failures(stdio, files)).toEqual([]);
  }, 300_000);
});
