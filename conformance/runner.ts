// One runner for vector files in the AIP format (aip-digest 6.3) plus toolgate's extensions
// (docs/conformance.md): every vector goes through a host driver and is checked against its expectations.

import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "yaml";
import type { DecisionInput, HostDriver, ResponseInput } from "./types.ts";

export interface VectorResult {
  file: string;
  id: string;
  description: string;
  host: string;
  ok: boolean;
  skipped?: string;
  failures: string[];
}

export interface RunSummary {
  host: string;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  results: VectorResult[];
}

/** Vector files below the given files or directories (*.yaml, *.yml), sorted. Missing paths throw. */
export function findVectorFiles(paths: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    if (!existsSync(p)) throw new Error(`no such file or directory: ${p}`);
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) visit(join(p, e));
    } else if (/\.ya?ml$/.test(p)) out.push(p);
  };
  paths.forEach(visit);
  return out;
}

interface Vector {
  id: string;
  description?: string;
  policy?: string | null;
  input?: Record<string, any>;
  expected?: Record<string, any>;
  hosts?: string[]; // extension: only on these hosts
}

/** AIP's value matchers: "!null" (present), ">0" and ">=0" (numbers). */
function matcher(expected: string, actual: unknown): boolean | null {
  if (expected === "!null") return actual !== null && actual !== undefined;
  if (expected === ">0") return typeof actual === "number" && actual > 0;
  if (expected === ">=0") return typeof actual === "number" && actual >= 0;
  return null;
}

function deepSubset(expected: unknown, actual: unknown, path: string, failures: string[]): void {
  if (typeof expected === "string") {
    const m = matcher(expected, actual);
    if (m === false) failures.push(`${path}: expected ${expected}, got ${JSON.stringify(actual)}`);
    if (m !== null) return;
  }
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== "object") {
      failures.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [k, v] of Object.entries(expected)) deepSubset(v, (actual as any)[k], `${path}.${k}`, failures);
    return;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    failures.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

async function runDecision(driver: HostDriver, v: Vector, failures: string[]): Promise<void> {
  const i = v.input!;
  const e = v.expected ?? {};
  const input: DecisionInput = {
    method: i.method ?? "",
    tool: i.tool,
    args: i.args,
    requestId: i.request_id,
    raw: i.raw,
    previousCalls: i.context?.previous_calls,
    userResponse: i.context?.user_response,
  };
  const out = await driver.decide(v.policy ?? null, input);
  if ("decision" in e && e.decision !== out.decision) failures.push(`decision: expected ${e.decision}, got ${out.decision}`);
  const expectedCode = "error_code" in e ? e.error_code : e.response_format?.error?.code;
  if (expectedCode !== undefined && expectedCode !== out.errorCode) failures.push(`error_code: expected ${expectedCode}, got ${out.errorCode}`);
  if (expectedCode === undefined && (out.decision === "ALLOW" || out.decision === "ASK") && out.errorCode !== null) {
    failures.push(`error_code: expected none, got ${out.errorCode}`);
  }
  if ("violation" in e && e.violation !== out.violation) failures.push(`violation: expected ${e.violation}, got ${out.violation}`);
  const err = (out.response?.error ?? null) as Record<string, any> | null;
  if ("error_message" in e) deepSubset(e.error_message, err?.message, "error.message", failures);
  if ("error_data" in e) deepSubset(e.error_data, err?.data, "error.data", failures);
  if ("response_format" in e) {
    const rf = { ...e.response_format };
    if (i.request_id !== undefined && rf.id === undefined) rf.id = i.request_id;
    deepSubset(rf, out.response, "response", failures);
  }
  const responseText = out.response === null ? "" : JSON.stringify(out.response);
  for (const s of e.response_not_contains ?? []) {
    if (responseText.includes(s)) failures.push(`the response reveals ${JSON.stringify(s)}: ${responseText}`);
  }
  if ("forwarded" in e && e.forwarded !== out.forwarded) failures.push(`forwarded: expected ${e.forwarded}, got ${out.forwarded}`);
  if ("reply" in e && e.reply !== (out.response !== null)) failures.push(`reply: expected ${e.reply}, got ${out.response !== null}`);
  if ("rule" in e && e.rule !== out.rule) failures.push(`rule: expected ${JSON.stringify(e.rule)}, got ${JSON.stringify(out.rule)}`);
  if ("reason" in e && e.reason !== out.reason) failures.push(`reason: expected ${JSON.stringify(e.reason)}, got ${JSON.stringify(out.reason)}`);
}

async function runResponse(driver: HostDriver, v: Vector, failures: string[]): Promise<void> {
  const i = v.input!;
  const e = v.expected ?? {};
  const input: ResponseInput = { content: i.content, raw: i.raw, requestMethod: i.request_method };
  const out = await driver.respond(v.policy ?? "", input);
  const original = i.content ?? i.raw ?? "";
  if ("redacted" in e && e.redacted !== (out.output !== original)) failures.push(`redacted: expected ${e.redacted}, got ${out.output !== original}`);
  if ("output" in e && e.output !== out.output) failures.push(`output: expected ${JSON.stringify(e.output)}, got ${JSON.stringify(out.output)}`);
  for (const s of e.output_contains ?? []) if (!out.output.includes(s)) failures.push(`output does not contain ${JSON.stringify(s)}: ${out.output}`);
  for (const s of e.output_not_contains ?? []) if (out.output.includes(s)) failures.push(`output contains ${JSON.stringify(s)}: ${out.output}`);
  if (e.valid_json) {
    try {
      JSON.parse(out.output);
    } catch {
      failures.push(`output is not valid JSON: ${out.output}`);
    }
  }
  if ("output_json" in e) {
    try {
      deepSubset(e.output_json, JSON.parse(out.output), "output", failures);
    } catch {
      failures.push(`output is not valid JSON: ${out.output}`);
    }
  }
  if (Array.isArray(e.dlp_events)) {
    const sums = new Map<string, number>();
    for (const ev of out.events) sums.set(ev.rule, (sums.get(ev.rule) ?? 0) + ev.count);
    const want = new Map<string, number>();
    for (const ev of e.dlp_events) want.set(ev.rule, (want.get(ev.rule) ?? 0) + ev.count);
    if (JSON.stringify([...sums].sort()) !== JSON.stringify([...want].sort())) {
      failures.push(`dlp_events: expected ${JSON.stringify([...want])}, got ${JSON.stringify([...sums])}`);
    }
  }
}

export async function runFiles(driver: HostDriver, files: string[], onResult?: (r: VectorResult) => void): Promise<RunSummary> {
  const results: VectorResult[] = [];
  for (const file of files) {
    const name = relative(process.cwd(), resolve(file));
    let doc: { tests?: Vector[] };
    try {
      doc = parse(readFileSync(file, "utf8"));
    } catch (e) {
      const r = { file: name, id: "PARSE", description: String(e), host: driver.name, ok: false, failures: [`cannot read vector file: ${(e as Error).message}`] };
      results.push(r);
      onResult?.(r);
      continue;
    }
    for (const v of doc?.tests ?? []) {
      const failures: string[] = [];
      const r: VectorResult = { file: name, id: String(v.id), description: v.description ?? "", host: driver.name, ok: false, failures };
      if (v.hosts && !v.hosts.includes(driver.name)) r.skipped = `only on ${v.hosts.join(", ")}`;
      else if (!v.input) r.skipped = "no input (not a decision or DLP vector)";
      else {
        try {
          if (v.input.type === "response") await runResponse(driver, v, failures);
          else await runDecision(driver, v, failures);
        } catch (e) {
          // Any driver's NotApplicable (matched by name: drivers may define their own class)
          if ((e as Error).name === "NotApplicable") r.skipped = `not applicable: ${(e as Error).message}`;
          else failures.push(`error: ${(e as Error).message}`);
        }
      }
      r.ok = !r.skipped && failures.length === 0;
      results.push(r);
      onResult?.(r);
    }
  }
  const skipped = results.filter((r) => r.skipped).length;
  const passed = results.filter((r) => r.ok).length;
  return { host: driver.name, total: results.length - skipped, passed, failed: results.length - skipped - passed, skipped, results };
}

/** Open a driver, run the files through it, close it (even when a vector throws). */
export async function runDriver(driver: HostDriver, files: string[]): Promise<RunSummary> {
  await driver.open();
  try {
    return await runFiles(driver, files);
  } finally {
    await driver.close();
  }
}

/**
 * The failed vectors of a host's run, each marked with the engine's own outcome for the same vector (run
 * in-process only when something failed), so a failure shows at once whether the host or the engine is wrong.
 */
export async function explainFailures(host: RunSummary, files: string[], engine: () => HostDriver): Promise<string[]> {
  const failed = host.results.filter((r) => !r.ok && !r.skipped);
  if (failed.length === 0) return [];
  const reference = await runDriver(engine(), files.filter((f) => failed.some((r) => resolve(r.file) === resolve(f))));
  const byId = new Map(reference.results.map((r) => [`${r.file} ${r.id}`, r]));
  return failed.map((r) => `${r.file} ${r.id}: ${r.failures.join("; ")} (engine in-process: ${byId.get(`${r.file} ${r.id}`)?.ok ? "passes" : "fails too"})`);
}
