// Every conformance vector through the Node HTTP gateway (conformance/drivers/http.ts: startGateway in-process,
// a local upstream and approval service, the audit file), checked against the vector's expectations: once with
// JSON answers (all vectors, and the AIP vectors when ../shared has them) and once with the server messages as
// SSE cut into 5-byte chunks. Only vectors without a policy may be skipped: the gateway does not start without one.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { explainFailures, findVectorFiles, runDriver } from "../../conformance/runner.ts";
import { EngineDriver } from "../../conformance/drivers/engine.ts";
import { HttpDriver } from "../../conformance/drivers/http.ts";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";

const ROOT = packageRoot();
const AIP = join(ROOT, "..", "shared", "aip-conformance");

describe("conformance vectors through the HTTP gateway", () => {
  it("passes every vector", async () => {
    const files = findVectorFiles([join(ROOT, "conformance", "vectors"), ...(existsSync(AIP) ? [AIP] : [])]);
    const gateway = await runDriver(new HttpDriver(), files);
    expect(gateway.total).toBeGreaterThan(700);
    // Skipped: vectors for other hosts only, and those without a policy.
    for (const r of gateway.results.filter((r) => r.skipped)) expect(r.skipped).toMatch(/^only on |does not start without a policy/);
    expect(await explainFailures(gateway, files, () => new EngineDriver())).toEqual([]);
  }, 180_000);

  it("passes the DLP and tools/list vectors when answers stream as SSE in 5-byte chunks", async () => {
    const files = findVectorFiles(["dlp.yaml", "tools-list.yaml"].map((f) => join(ROOT, "conformance", "vectors", f)));
    const gateway = await runDriver(new HttpDriver({ sseChunkBytes: 5 }), files);
    expect(gateway.total).toBeGreaterThan(90);
    expect(gateway.skipped).toBe(0);
    expect(await explainFailures(gateway, files, () => new EngineDriver())).toEqual([]);
  }, 120_000);
});
