// Loading engine.wasm from disk, for the hosts that run on Node.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Engine } from "./engine.ts";

let cached: WebAssembly.Module | null = null;

/** The path of the built engine: build/engine.wasm at the package root (or TOOLGATE_ENGINE). */
export function enginePath(): string {
  if (process.env.TOOLGATE_ENGINE) return process.env.TOOLGATE_ENGINE;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "build", "engine.wasm");
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error("build/engine.wasm not found: run `npm run build` (or `npm install`) first");
}

export function engineModule(): WebAssembly.Module {
  if (!cached) cached = new WebAssembly.Module(readFileSync(enginePath()));
  return cached;
}

/** A new engine instance (each has its own memory, bundle and rate-limit state). */
export function newEngine(): Engine {
  return new Engine(engineModule());
}
