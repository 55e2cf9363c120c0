// Runs the real Workers runtime (workerd, from npm) on loopback for the tests, the conformance driver and the
// benchmark: a capnp config is generated into a temp directory with copies of the modules, workerd listens on
// ports it picks itself (reported on a control pipe), and its stdout (the Workers' console.log, i.e. the audit
// records) is collected line by line. stop() always ends the process and removes the directory.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { packageRoot } from "../../conformance/drivers/stdio-process.ts";

/** The bundled Worker (TOOLGATE_WORKER_BUILD: another build of it, e.g. with another engine). */
export const WORKER_BUILD = process.env.TOOLGATE_WORKER_BUILD || join(packageRoot(), "build", "worker");
export const COMPATIBILITY_DATE = "2026-04-26"; // the newest date the pinned workerd knows

/** The workerd binary of the npm package (the platform package's binary, without the Node launcher). */
export function workerdBinary(): string {
  const require = createRequire(join(packageRoot(), "package.json"));
  const arch = process.arch === "x64" ? "64" : process.arch;
  for (const id of [`@cloudflare/workerd-${process.platform}-${arch}/bin/workerd`, "workerd/bin/workerd"]) {
    try {
      return require.resolve(id);
    } catch {
      // next candidate
    }
  }
  throw new Error("workerd is not installed: `npm install` (devDependency workerd)");
}

export interface ModuleSpec {
  /** The module name other modules import (e.g. "engine.wasm"). */
  name: string;
  /** The file, or the contents. */
  path?: string;
  contents?: string | Uint8Array;
  type: "esModule" | "wasm" | "data";
}

export interface WorkerSpec {
  /** Service and socket name. */
  name: string;
  /** The first module is the main module. */
  modules: ModuleSpec[];
  /** Text bindings (wrangler's [vars]). */
  vars?: Record<string, string>;
  /** KV namespace bindings served by a local HTTP service: binding name → "127.0.0.1:port". */
  kv?: Record<string, string>;
  /** Durable Object classes exported by the main module (namespaces defined here, stored in memory). */
  durableObjectClasses?: string[];
  /** Durable Object bindings: binding name → class (of this Worker, or of another service). */
  durableObjectBindings?: Record<string, { className: string; service?: string }>;
}

/** The toolgate Worker as build/worker holds it, with a compiled-in policy (none: an empty data module). */
export interface GatewayOptions {
  policy?: Uint8Array | null;
  vars?: Record<string, string>;
  kv?: Record<string, string>;
  /** Global rate limits: true defines the ToolgateLimits Durable Object here; a name uses that service's. */
  globalLimits?: true | string;
}

export function gatewayWorker(name: string, opts: GatewayOptions = {}): WorkerSpec {
  if (!existsSync(join(WORKER_BUILD, "worker.mjs"))) throw new Error("build/worker/worker.mjs is missing: run `node scripts/build.mjs`");
  return {
    name,
    modules: [
      { name: "worker.mjs", path: join(WORKER_BUILD, "worker.mjs"), type: "esModule" },
      { name: "engine.wasm", path: join(WORKER_BUILD, "engine.wasm"), type: "wasm" },
      { name: "policy.tgb", contents: opts.policy ?? new Uint8Array(0), type: "data" },
    ],
    vars: opts.vars,
    kv: opts.kv,
    durableObjectClasses: opts.globalLimits === true ? ["ToolgateLimits"] : undefined,
    durableObjectBindings: opts.globalLimits
      ? { RATE_LIMITS: { className: "ToolgateLimits", service: opts.globalLimits === true ? undefined : opts.globalLimits } }
      : undefined,
  };
}

const quote = (s: string) => JSON.stringify(s); // capnp text literals take the same escapes

function configText(workers: WorkerSpec[], files: Map<string, string>): string {
  const services: string[] = [];
  const sockets: string[] = [];
  const defs: string[] = [];
  workers.forEach((w, i) => {
    const bindings: string[] = [];
    for (const [k, v] of Object.entries(w.vars ?? {})) bindings.push(`(name = ${quote(k)}, text = ${quote(v)})`);
    for (const [k, address] of Object.entries(w.kv ?? {})) {
      const svc = `${w.name}-kv-${k}`;
      services.push(`(name = ${quote(svc)}, external = (address = ${quote(address)}, http = ()))`);
      bindings.push(`(name = ${quote(k)}, kvNamespace = ${quote(svc)})`);
    }
    for (const [k, b] of Object.entries(w.durableObjectBindings ?? {})) {
      const service = b.service ? `, serviceName = ${quote(b.service)}` : "";
      bindings.push(`(name = ${quote(k)}, durableObjectNamespace = (className = ${quote(b.className)}${service}))`);
    }
    const modules = w.modules.map((m) => `(name = ${quote(m.name)}, ${m.type} = embed ${quote(files.get(`${w.name}/${m.name}`)!)})`);
    const objects = w.durableObjectClasses?.length
      ? `durableObjectNamespaces = [${w.durableObjectClasses.map((c) => `(className = ${quote(c)}, uniqueKey = ${quote(`${w.name}-${c}`)})`).join(", ")}],
  durableObjectStorage = (inMemory = void),`
      : "";
    defs.push(`const worker${i} :Workerd.Worker = (
  modules = [${modules.join(",\n    ")}],
  compatibilityDate = ${quote(COMPATIBILITY_DATE)},
  bindings = [${bindings.join(",\n    ")}],
  ${objects}
);`);
    services.push(`(name = ${quote(w.name)}, worker = .worker${i})`);
    sockets.push(`(name = ${quote(w.name)}, address = "127.0.0.1:0", http = (), service = ${quote(w.name)})`);
  });
  services.push(`(name = "internet", network = (allow = ["public", "private", "local"]))`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(",\n    ")}],
  sockets = [${sockets.join(",\n    ")}],
);
${defs.join("\n")}
`;
}

export interface Line {
  text: string;
  json: Record<string, any> | null;
}

export class Workerd {
  readonly lines: Line[] = [];
  stderr = "";
  /** Socket name → http://127.0.0.1:port. */
  readonly urls = new Map<string, string>();
  private partial = "";
  private waiters: (() => void)[] = [];

  private constructor(private readonly child: ChildProcess, private readonly dir: string) {}

  /** Start workerd with these Workers; resolves once every socket listens. */
  static async start(workers: WorkerSpec[], timeoutMs = 20_000): Promise<Workerd> {
    const dir = mkdtempSync(join(tmpdir(), "toolgate-workerd-"));
    const files = new Map<string, string>();
    workers.forEach((w, i) => {
      for (const m of w.modules) {
        const file = `w${i}-${basename(m.name)}`;
        if (m.path !== undefined) copyFileSync(m.path, join(dir, file));
        else writeFileSync(join(dir, file), m.contents ?? "");
        files.set(`${w.name}/${m.name}`, file);
      }
    });
    writeFileSync(join(dir, "config.capnp"), configText(workers, files));
    const child = spawn(workerdBinary(), ["serve", join(dir, "config.capnp"), "--control-fd=3"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const w = new Workerd(child, dir);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => w.onStdout(chunk));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      w.stderr += chunk;
      w.wake();
    });
    let control = "";
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding("utf8");
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: string) => {
      control += chunk;
      const lines = control.split("\n");
      control = lines.pop()!;
      for (const l of lines) {
        const e = JSON.parse(l);
        if (e.event === "listen") w.urls.set(e.socket, `http://127.0.0.1:${e.port}`);
      }
      w.wake();
    });
    child.once("exit", () => w.wake());
    try {
      await w.waitFor(() => workers.every((s) => w.urls.has(s.name)), timeoutMs, "workerd to listen");
    } catch (e) {
      await w.stop();
      throw e;
    }
    return w;
  }

  url(name: string): string {
    const u = this.urls.get(name);
    if (!u) throw new Error(`no workerd socket ${name}`);
    return u;
  }

  private onStdout(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop()!;
    for (const text of parts) {
      let json: Record<string, any> | null = null;
      try {
        const v = JSON.parse(text);
        if (v !== null && typeof v === "object") json = v;
      } catch {
        // not a record
      }
      this.lines.push({ text, json });
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** Resolves once check() holds (re-checked on every output line), rejects on timeout or exit. */
  waitFor(check: () => boolean, timeoutMs = 10_000, what = "a condition"): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; workerd stderr:\n${this.stderr.slice(-2000)}`)), timeoutMs);
      const test = () => {
        if (check()) {
          clearTimeout(timer);
          resolve();
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`workerd exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; stderr:\n${this.stderr.slice(-2000)}`));
        } else this.waiters.push(test);
      };
      test();
    });
  }

  /** Audit records (JSON lines) from index `from` on. */
  records(from = 0): Record<string, any>[] {
    return this.lines.slice(from).flatMap((l) => (l.json ? [l.json] : []));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
      this.child.kill("SIGTERM");
      const t = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
