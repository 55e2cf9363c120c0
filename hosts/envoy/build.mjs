#!/usr/bin/env node
// Builds build/envoy-filter.wasm: hosts/envoy/src/filter.ts (proxy-wasm glue) compiled together with the
// engine's sources, with the engine's own compiler flags. scripts/build.mjs runs it after engine.wasm.
//   node hosts/envoy/build.mjs [--out <file>] [--root <dir with engine-as/ and hosts/>]
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" }, root: { type: "string" }, quiet: { type: "boolean" } } });
const repo = resolve(here, "..", "..");
const root = resolve(values.root ?? repo);
const out = resolve(values.out ?? join(repo, "build", "envoy-filter.wasm"));
mkdirSync(dirname(out), { recursive: true });

// The engine's flags (scripts/build.mjs), plus `_initialize`, the start export proxy-wasm hosts call.
const flags = [
  "-O3", "--noAssert", "--converge", "--runtime", "minimal", "--use", "abort=", "--enable", "simd", "--enable", "bulk-memory",
  "--exportStart", "_initialize",
];
try {
  execFileSync(join(repo, "node_modules", ".bin", "asc"), [join(root, "hosts", "envoy", "src", "filter.ts"), ...flags, "-o", out], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
} catch {
  process.stderr.write("envoy-filter.wasm: the AssemblyScript compiler failed (its output is above)\n");
  process.exit(1);
}
if (!values.quiet) process.stderr.write(`envoy-filter.wasm: ${statSync(out).size} bytes\n`);
