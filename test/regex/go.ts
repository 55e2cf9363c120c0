// Runs Go's regexp (test/regex/gore.go) over a batch of requests: the reference for differential tests.

import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface GoAnswer {
  err?: string;
  m: boolean;
  idx: [number, number][];
  r?: number[];
  f?: number[];
}

export type GoRequest = { p: string; s: Uint8Array } | { op: "class"; p: string } | { op: "folds" };

const here = dirname(fileURLToPath(import.meta.url));
let binary: string | undefined;

/** Whether a Go toolchain is on PATH. */
export function haveGo(): boolean {
  return spawnSync("go", ["version"], { stdio: "ignore" }).status === 0;
}

/** Builds gore once per process (faster than `go run` for every batch). */
function gore(): string {
  if (binary) return binary;
  const out = join(mkdtempSync(join(tmpdir(), "gore-")), "gore");
  // A single file with the standard library only: no module, nothing to download.
  const r = spawnSync("go", ["build", "-o", out, join(here, "gore.go")], { encoding: "utf8", cwd: here });
  if (r.status !== 0) throw new Error(`go build failed: ${r.stderr}`);
  binary = out;
  return out;
}

export function askGo(reqs: GoRequest[]): GoAnswer[] {
  const input = reqs
    .map((q) =>
      JSON.stringify("s" in q ? { p: q.p, s: Buffer.from(q.s).toString("base64") } : q),
    )
    .join("\n");
  const r = spawnSync(gore(), [], { input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`gore failed: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split("\n");
  if (lines.length !== reqs.length) throw new Error(`gore answered ${lines.length} of ${reqs.length}`);
  return lines.map((l) => JSON.parse(l) as GoAnswer);
}
