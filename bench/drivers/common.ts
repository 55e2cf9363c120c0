// What the benchmark drivers share: latency statistics, interleaved round trips over HTTP, readers of a
// process's CPU time and memory in /proc, the machine's description, writing a result to
// bench/results/<name>.json, and running a driver as a script.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Percentiles {
  p50: number;
  p99: number;
  mean: number;
}

/** p50, p99 and mean of a sample. */
export function percentiles(values: ArrayLike<number>): Percentiles {
  const s = Float64Array.from(values).sort();
  return { p50: s[Math.floor(s.length * 0.5)], p99: s[Math.floor(s.length * 0.99)], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** How much slower one target is than another at p50 and p99. */
export interface Difference {
  p50: number;
  p99: number;
}

/** How much slower `a` is than `b` at p50 and p99. */
export function added(a: Percentiles, b: Percentiles): Difference {
  return { p50: a.p50 - b.p50, p99: a.p99 - b.p99 };
}

/** An HTTP client of the benchmark: POSTs a message, resolves to the answer's status once the answer is read. */
export interface Poster {
  post(body: Buffer): Promise<{ status: number }>;
}

/**
 * Latency of n sequential requests on each client, microseconds, the clients taking turns in blocks of `block`
 * requests so that all see the same conditions. The bodies are used in turn (64 of them).
 */
export async function latencies(clients: Poster[], bodies: Buffer[], n: number, block: number): Promise<number[][]> {
  const out: number[][] = clients.map(() => []);
  for (let done = 0; done < n; done += block) {
    for (const [c, client] of clients.entries()) {
      for (let i = 0; i < block && done + i < n; i++) {
        const t0 = process.hrtime.bigint();
        const { status } = await client.post(bodies[(done + i) & 63]);
        out[c].push(Number(process.hrtime.bigint() - t0) / 1000);
        if (status !== 200) throw new Error(`benchmark request answered HTTP ${status}`);
      }
    }
  }
  return out;
}

/** Microseconds as the result tables show them. */
export function us(n: number): string {
  return n.toFixed(1);
}

/** p50 / p99 in microseconds, as the result tables show them. */
export function usP50P99(x: Difference): string {
  return `${us(x.p50)} / ${us(x.p99)} us`;
}

/** Microseconds per clock tick of /proc/<pid>/stat (USER_HZ is 100 on Linux). */
export const TICK_US = 1e6 / 100;

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** A memory figure of a process from /proc/<pid>/status (VmRSS: resident now, VmHWM: peak), MB; 0 once it is gone. */
export function memoryMB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The machine, as the results describe it. */
export function machine(): string {
  return `${process.arch}, ${cpus()[0]?.model ?? "?"}, ${cpus().length} CPUs`;
}

/** Write a result to bench/results/<name>.json. */
export function writeResult(name: string, result: unknown): void {
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results", `${name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
}

/** Print rows of [what, value, budget] as a table. */
export function printRows(rows: string[][], whatWidth = 52, valueWidth = 24): void {
  for (const [what, value, budget] of rows) console.log(`${what.padEnd(whatWidth)} ${value.padStart(valueWidth)}   ${budget}`);
}

/**
 * When the module at `moduleUrl` is the script being run (`tsx bench/drivers/<name>.ts [--quick]`): run its
 * benchmark (told whether --quick was given), print its rows, and say where the results were written.
 */
export async function runAsScript<R>(moduleUrl: string, name: string, bench: (quick: boolean) => Promise<R>, rows: (r: R) => string[][], whatWidth?: number): Promise<void> {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  printRows(rows(await bench(process.argv.includes("--quick"))), whatWidth);
  console.log(`\nwritten: bench/results/${name}.json`);
}
