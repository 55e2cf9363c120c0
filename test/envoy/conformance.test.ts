// `toolgate conformance --host envoy`, inside vitest: every vector (toolgate's and, when present, AIP's in
// ../shared/aip-conformance) through a real Envoy and the filter, with the expectations of every other host.
// The response vectors run a second time as server-sent events cut into small pieces, so the streaming DLP
// sees every secret split across chunk boundaries.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findVectorFiles, runDriver, type RunSummary } from "../../conformance/runner.ts";
import { EnvoyDriver } from "../../conformance/drivers/envoy.ts";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { INSTALL_TIMEOUT_MS } from "./helpers.ts";

const root = packageRoot();
const aip = join(root, "..", "shared", "aip-conformance");
const vectors = [join(root, "conformance", "vectors"), ...(existsSync(aip) ? [aip] : [])];

function run(driver: EnvoyDriver, files: string[]): Promise<RunSummary> {
  ensureEnvoy();
  return runDriver(driver, files);
}

function failuresOf(s: RunSummary): string[] {
  return s.results.filter((r) => !r.ok && !r.skipped).map((r) => `${r.file} ${r.id}: ${r.failures.join("; ")}`);
}

describe("conformance through Envoy", () => {
  it("passes every vector", async () => {
    const s = await run(new EnvoyDriver(), findVectorFiles(vectors));
    expect(failuresOf(s)).toEqual([]);
    expect(s.passed).toBeGreaterThan(700);
  }, INSTALL_TIMEOUT_MS);

  it("passes the response vectors as server-sent events in 16-byte pieces", async () => {
    const files = findVectorFiles(vectors).filter((f) => /(dlp|tools-list)\.yaml$/.test(f));
    const s = await run(new EnvoyDriver({ responses: "sse", pieceBytes: 16, name: "envoy-sse" }), files);
    expect(failuresOf(s)).toEqual([]);
    expect(s.passed).toBeGreaterThan(90);
  }, INSTALL_TIMEOUT_MS);
});
