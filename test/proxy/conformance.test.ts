// Every conformance vector end to end through the stdio proxy (conformance/drivers/stdio.ts): a client on
// the pipes of a real `toolgate proxy` process in front of a reporting MCP server. A failure names the engine's
// own outcome for the same vector, so it shows at once whether the proxy or the engine is wrong.
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { explainFailures, findVectorFiles, runDriver } from "../../conformance/runner.ts";
import { EngineDriver } from "../../conformance/drivers/engine.ts";
import { StdioDriver } from "../../conformance/drivers/stdio.ts";
import { ROOT } from "./helpers.ts";

const AIP = join(ROOT, "..", "shared", "aip-conformance");



describe("conformance vectors through the stdio proxy", () => {
  it("passes every vector the stdio transport can carry", async () => {
    const files = findVectorFiles([join(ROOT, "conformance", "vectors"), ...(existsSync(AIP) ? [AIP] : [])]);
    const stdio = await runDriver(new StdioDriver(), files);
    expect(stdio.total).toBeGreaterThan(700);
    // Skipped only where stated: vectors for other hosts (`hosts:`) and what stdio cannot express (no policy).
    for (const r of stdio.results.filter((r) => r.skipped)) expect(r.skipped).toMatch(/^only on |^not applicable: /);
    expect(await explainFailures(stdio, files, () => new EngineDriver())).toEqual([]);
  }, 300_000);
});
