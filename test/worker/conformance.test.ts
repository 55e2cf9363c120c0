// Every conformance vector through the Worker in workerd (conformance/drivers/worker.ts), checked against the
// vector's expectations: once with JSON answers (all vectors, and the AIP vectors when ../shared has them)
// and once with the server messages as SSE cut into 5-byte chunks.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { explainFailures, findVectorFiles, runDriver } from "../../conformance/runner.ts";
import { EngineDriver } from "../../conformance/drivers/engine.ts";
import { WorkerDriver } from "../../conformance/drivers/worker.ts";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";

const ROOT = packageRoot();
const AIP = join(ROOT, "..", "shared", "aip-conformance");



describe("conformance vectors through the Worker in workerd", () => {
  it("passes every vector", async () => {
    const files = findVectorFiles([join(ROOT, "conformance", "vectors"), ...(existsSync(AIP) ? [AIP] : [])]);
    const worker = await runDriver(new WorkerDriver(), files);
    expect(worker.total).toBeGreaterThan(700);
    expect(worker.skipped).toBe(0);
    expect(await explainFailures(worker, files, () => new EngineDriver())).toEqual([]);
  }, 150_000);

  it("passes the DLP and tools/list vectors when answers stream as SSE in 5-byte chunks", async () => {
    const files = findVectorFiles(["dlp.yaml", "tools-list.yaml"].map((f) => join(ROOT, "conformance", "vectors", f)));
    const worker = await runDriver(new WorkerDriver({ sseChunkBytes: 5 }), files);
    expect(worker.total).toBeGreaterThan(90);
    expect(await explainFailures(worker, files, () => new EngineDriver())).toEqual([]);
  }, 120_000);
});
