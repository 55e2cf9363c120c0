#!/usr/bin/env node
// Bundles the Worker into build/worker/: worker.mjs (esbuild, ES module), engine.wasm (a copy of the built
// engine, imported as a Wasm module) and policy.tgb (the compiled-in policy, imported as a data module; an
// empty file means "no compiled-in policy": KV provides it, or every call is refused). An existing
// policy.tgb is kept, so `toolgate compile … -o build/worker/policy.tgb` survives a rebuild.
//   node hosts/worker/build.mjs [--policy <bundle.tgb>] [--out <dir>]
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WORKER_DIR = join(root, "build", "worker");

export async function buildWorker({ policy, out = WORKER_DIR } = {}) {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, "hosts", "worker", "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    // Left as imports: workerd and wrangler supply them as modules of their own.
    external: ["*.wasm", "*.tgb"],
    outfile: join(out, "worker.mjs"),
    logLevel: "warning",
  });
  // TOOLGATE_ENGINE points elsewhere, as for the Node hosts (hosts/kit/node.ts).
  copyFileSync(process.env.TOOLGATE_ENGINE || join(root, "build", "engine.wasm"), join(out, "engine.wasm"));
  const target = join(out, "policy.tgb");
  if (policy) copyFileSync(policy, target);
  else if (!existsSync(target)) writeFileSync(target, new Uint8Array(0));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  await buildWorker({ policy: arg("--policy"), out: arg("--out") && resolve(arg("--out")) });
}
