// `toolgate conformance --host envoy`, inside vitest: every vector (toolgate's and, when present, AIP's in
// ../shared/aip-conformance) through a real Envoy and the filter, with the expectations of every other host.
// The response vectors run a second time as server-sent events cut into small pieces, so the streaming DLP
// sees every secret split across chunk boundaries.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findVectorFiles, runFiles, type RunSummary } from "../../conformance/runner.ts";
import { EnvoyDriver } from "../../conformance/drivers/envoy.ts";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { ensureEnvoy } from "../../hosts/envoy/setup-envoy.mjs";
import { INSTALL_TIMEOUT_MS } from "./helpers.ts";

const root = packageRoot();
const aip = join(root, "..", "shared", "aip-conformance");
const vectors = [join(root, "conformance", "vectors"), ...(existsSync(aip) ? [aip] : [])];

/** Vectors the host cannot express (a policy-less filter does not exist) are reported, not failed. */
const notApplicable = (failures: string[]) => failures.length > 0 && failures.every((f) => f.includes("an Envoy filter always runs a policy"));

async function run(driver: EnvoyDriver, files: string[]): Promise<RunSummary> {
  ensureEnvoy();
  await driver.open();
  try {
    return await runFiles(driver, files);
  } finally {
    await driver.close();
  }
}

function failuresOf(s: RunSummary): string[] {
  return s.results.filter((r) => !r.ok && !r.skipped && !notApplicable(r.failures)).map((r) => `${r.file} ${r.id}: ${r.failures.join("; ")}`);
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
