// Every conformance vector through the Worker in workerd (conformance/drivers/worker.ts), checked against the
// vector's expectations: once with JSON answers (all vectors, and the AIP vectors when ../shared has them)
// and once with the server messages as SSE cut into 5-byte chunks.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { findVectorFiles, runFiles, type RunSummary } from "../../conformance/runner.ts";
import { EngineDriver } from "../../conformance/drivers/engine.ts";
import { WorkerDriver } from "../../conformance/drivers/worker.ts";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";
import type { HostDriver } from "../../conformance/types.ts";

const ROOT = packageRoot();
const AIP = join(ROOT, "..", "shared", "aip-conformance");

async function run(driver: HostDriver, files: string[]): Promise<RunSummary> {
  await driver.open();
  try {
    return await runFiles(driver, files);
  } finally {
    await driver.close();
  }
}

/**
 * The vectors that failed through the Worker, each marked with the engine's own outcome, so a failure shows
 * at once whether the Worker or the engine is wrong (the engine runs only when something failed).
 */
async function failures(worker: RunSummary, files: string[]): Promise<string[]> {
  const failed = worker.results.filter((r) => !r.ok && !r.skipped);
  if (failed.length === 0) return [];
  const engine = await run(new EngineDriver(), files.filter((f) => failed.some((r) => resolve(r.file) === resolve(f))));
  const reference = new Map(engine.results.map((r) => [`${r.file} ${r.id}`, r]));
  return failed.map((r) => `${r.file} ${r.id}: ${r.failures.join("; ")} (engine in-process: ${reference.get(`${r.file} ${r.id}`)?.ok ? "passes" : "fails too"})`);
}

describe("conformance vectors through the Worker in workerd", () => {
  it("passes every vector", async () => {
    const files = findVectorFiles([join(ROOT, "conformance", "vectors"), ...(existsSync(AIP) ? [AIP] : [])]);
    const worker = await run(new WorkerDriver(), files);
    expect(worker.total).toBeGreaterThan(700);
    expect(worker.skipped).toBe(0);
    expect(await failures(worker, files)).toEqual([]);
  }, 150_000);

  it("passes the DLP and tools/list vectors when answers stream as SSE in 5-byte chunks", async () => {
    const files = findVectorFiles(["dlp.yaml", "tools-list.yaml"].map((f) => join(ROOT, "conformance", "vectors", f)));
    const worker = await run(new WorkerDriver({ sseChunkBytes: 5 }), files);
    expect(worker.total).toBeGreaterThan(90);
    expect(await failures(worker, files)).toEqual([]);
  }, 120_000);
});
