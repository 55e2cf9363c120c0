// Compiling a policy builds regex automata and leaves tens of megabytes of garbage that V8 keeps as heap long
// after it is collected. The proxy compiles in a worker thread instead, which ends a second after its
// last compile: its heap goes away with it, so the long-running proxy stays small, while a burst of reloads
// reuses one worker. Run from TypeScript sources (tests), where a worker cannot load the module, it compiles
// in-process.
import { Worker } from "node:worker_threads";
import type { CompileOptions } from "../../../compiler/index.ts";
import { compileSource, type ProxyPolicy } from "./policy.ts";

/** What crosses the thread boundary (no Engine instance: the worker makes its own). */
export type WorkerCompileOptions = Omit<CompileOptions, "engine">;

interface Request {
  path: string;
  source: Uint8Array;
  opts: WorkerCompileOptions;
}

type Reply = { ok: { bytes: Uint8Array; policy: ProxyPolicy["policy"]; warnings: string[] } } | { error: string };

/** Entry point inside the worker (exported by the CLI bundle, which is the worker's module). */
export function compileForWorker(req: Request): Reply {
  try {
    const p = compileSource(req.path, Buffer.from(req.source), req.opts);
    return { ok: { bytes: p.bytes, policy: p.policy, warnings: p.warnings } };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A policy that does not compile; the message names file:line:column. */
export class PolicyLoadError extends Error {}

const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const loaded = import(workerData.module);
parentPort.on("message", ({ id, request }) => loaded.then(
  (m) => parentPort.postMessage({ id, reply: m.compileForWorker(request) }),
  (e) => parentPort.postMessage({ id, reply: { error: String((e && e.message) || e) } }),
));
`;

const IDLE_MS = 1000;

class CompilerThread {
  private worker: Worker | null = null;
  private idle: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  constructor(private readonly module: string) {}

  compile(request: Request): Promise<Reply> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const worker = (this.worker ??= this.start());
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, request });
    });
  }

  private start(): Worker {
    const w = new Worker(WORKER_CODE, { eval: true, workerData: { module: this.module } });
    w.unref(); // an idle compiler never keeps the proxy alive
    w.on("message", ({ id, reply }: { id: number; reply: Reply }) => {
      this.waiting.get(id)?.resolve(reply);
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.idle = setTimeout(() => this.stop(), IDLE_MS).unref();
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on("error", fail);
    w.on("exit", (code) => fail(new Error(`the policy compiler thread stopped (exit ${code})`)));
    return w;
  }

  stop(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }
}

let thread: CompilerThread | null = null;

export async function compileIsolated(path: string, source: Buffer, opts: WorkerCompileOptions): Promise<ProxyPolicy> {
  const module = import.meta.url;
  if (!module.endsWith(".mjs") && !module.endsWith(".js")) return compileSource(path, source, opts);
  thread ??= new CompilerThread(module);
  const reply = await thread.compile({ path, source: new Uint8Array(source), opts });
  if ("error" in reply) throw new PolicyLoadError(reply.error);
  return { bytes: reply.ok.bytes, source, policy: reply.ok.policy, warnings: reply.ok.warnings };
}

/** End the compiler thread now (shutdown). */
export function stopCompiler(): void {
  thread?.stop();
}
