// Builds everything the tests and the CLI need, from sources only:
//   1. Unicode tables for the engine (generated from this Node's Unicode data),
//   2. engine.wasm (AssemblyScript), plus small test harness modules from engine-as/test/*.entry.ts,
//   3. the CLI bundle (esbuild),
//   4. the Worker bundle (esbuild) in build/worker/,
//   5. the Envoy filter (AssemblyScript) build/envoy-filter.wasm.
// Each step prints one line; a failing step stops the build with its compiler output.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const quiet = process.argv.includes("--quiet");
const log = (msg) => quiet || process.stderr.write(`build: ${msg}\n`);

function run(cmd, args) {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  } catch {
    process.stderr.write(`build: failed: ${cmd} ${args.join(" ")}\n`);
    process.exit(1);
  }
}

if (!existsSync(bin("asc"))) {
  process.stderr.write("build: node_modules is missing; run `npm install` first\n");
  process.exit(1);
}
mkdirSync(join(root, "build", "test"), { recursive: true });

// 1. Unicode tables.
const gen = join(root, "engine-as", "gen", "unicode.ts");
if (existsSync(gen)) {
  log("unicode tables");
  run(bin("tsx"), [gen]);
}

// 2. The engine and the test harness modules.
const ascFlags = ["--runtime", "minimal", "--use", "abort=", "--enable", "simd", "--enable", "bulk-memory"];
log("engine.wasm");
run(bin("asc"), ["engine-as/src/index.ts", "-O3", "--noAssert", "--converge", ...ascFlags, "-o", "build/engine.wasm"]);
const testDir = join(root, "engine-as", "test");
if (existsSync(testDir)) {
  for (const f of readdirSync(testDir).filter((f) => f.endsWith(".entry.ts"))) {
    const out = join("build", "test", f.replace(/\.entry\.ts$/, ".wasm"));
    log(out);
    run(bin("asc"), [join("engine-as", "test", f), "-O2", ...ascFlags, "-o", out]);
  }
}

// 3. The CLI bundle.
const cli = join(root, "hosts", "node", "cli.ts");
if (existsSync(cli)) {
  log("cli");
  run(bin("esbuild"), [
    cli, "--bundle", "--platform=node", "--format=esm", "--target=node20", "--packages=external",
    "--outfile=build/cli.mjs", "--log-level=warning",
  ]);
}
// 4. The Worker bundle (esbuild): build/worker/ with worker.mjs, engine.wasm and policy.tgb.
const worker = join(root, "hosts", "worker", "build.mjs");
if (existsSync(worker)) {
  log("worker");
  run(process.execPath, [worker]);
}
// 5. The Envoy filter: the engine's sources plus proxy-wasm glue, build/envoy-filter.wasm.
const envoyFilter = join(root, "hosts", "envoy", "build.mjs");
if (existsSync(envoyFilter)) {
  log("envoy-filter.wasm");
  run(process.execPath, [envoyFilter, "--quiet"]);
}
log(`done (engine.wasm ${statSync(join(root, "build", "engine.wasm")).size} bytes)`);
