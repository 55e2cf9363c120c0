// A real Envoy on loopback for the tests, the conformance driver and the benchmark: writes the bootstrap,
// starts the pinned binary (hosts/envoy/setup-envoy.mjs installs it), waits until the admin API says it is
// ready, reads listener ports back, collects the filter's audit records from the log, and stops it again.
// Every Envoy started here is also killed when the Node process exits, so a failing test leaves none behind.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureEnvoy } from "./setup-envoy.mjs";
import { bootstrap, ldsResponse, type BootstrapOptions, type ListenerSpec } from "./bootstrap.ts";

/** build/envoy-filter.wasm of this checkout (or TOOLGATE_ENVOY_FILTER); works from source and from build/cli.mjs. */
export function filterWasmPath(): string {
  if (process.env.TOOLGATE_ENVOY_FILTER) return process.env.TOOLGATE_ENVOY_FILTER;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "build", "envoy-filter.wasm");
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error("build/envoy-filter.wasm not found: run `node scripts/build.mjs` first");
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

export interface EnvoyOptions extends Omit<BootstrapOptions, "wasmPath" | "ldsPath"> {
  wasmPath?: string;
  /** Worker threads (default 1). */
  concurrency?: number;
  /** Serve listeners from a watched LDS file, so setListeners can change them while Envoy runs. */
  dynamicListeners?: boolean;
  /** Milliseconds to wait for readiness (default 20 s). */
  startTimeoutMs?: number;
  /**
   * Let Envoy write its log to a file in its directory instead of to this process (no audit records are
   * collected then): for the benchmark, where reading them would compete with the client for the CPU.
   */
  logToFile?: boolean;
}

export type AuditRecord = Record<string, any>;

export class Envoy {
  readonly dir: string;
  readonly child: ChildProcess;
  /** Every line Envoy logged (log format: the message only). */
  readonly lines: string[] = [];
  /** The filter's audit records, in log order. */
  readonly audit: AuditRecord[] = [];
  adminUrl = "";
  private partial = "";
  private waiters: (() => void)[] = [];
  private exited = false;
  private ldsVersion = 0;
  private readonly wasmPath: string;
  private readonly exit: Promise<void>;

  private constructor(private readonly o: EnvoyOptions) {
    this.dir = mkdtempSync(join(tmpdir(), "toolgate-envoy-"));
    this.wasmPath = o.wasmPath ?? filterWasmPath();
    const ldsPath = o.dynamicListeners ? join(this.dir, "lds", "listeners.json") : undefined;
    if (ldsPath) {
      mkdirSync(dirname(ldsPath), { recursive: true });
      writeFileSync(ldsPath, JSON.stringify(ldsResponse(o.listeners, this.wasmPath, "0")));
    }
    const config = join(this.dir, "envoy.json");
    writeFileSync(config, JSON.stringify(bootstrap({ ...o, wasmPath: this.wasmPath, ldsPath })));
    const args = [
      "-c", config, "--concurrency", String(o.concurrency ?? 1), "--disable-hot-restart",
      "--admin-address-path", join(this.dir, "admin-address"), "--log-format", "%v",
      "--log-level", "warn", "--component-log-level", "wasm:info", "--drain-time-s", "0",
      ...(o.logToFile ? ["--log-path", join(this.dir, "envoy.log")] : []),
    ];
    this.child = spawn(ensureEnvoy(), args, { stdio: ["ignore", "ignore", "pipe"] });
    running.add(this.child);
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => this.take(chunk));
    this.exit = new Promise((res) =>
      this.child.once("exit", () => {
        this.exited = true;
        running.delete(this.child);
        this.wake();
        res();
      }),
    );
  }

  /** Start Envoy and wait until it is ready to serve. */
  static async start(o: EnvoyOptions): Promise<Envoy> {
    const e = new Envoy(o);
    try {
      await e.ready(o.startTimeoutMs ?? 20_000);
    } catch (err) {
      await e.stop();
      throw err;
    }
    return e;
  }

  private take(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop()!;
    for (const line of parts) {
      this.lines.push(line);
      const record = auditRecordOf(line);
      if (record) this.audit.push(record);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once check() holds (re-checked on every log line and every 50 ms), or rejects after timeoutMs. */
  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.exited) throw new Error(`envoy exited while waiting for ${what}:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.tail()}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** The last lines Envoy logged, for error messages. */
  tail(n = 30): string {
    return this.lines.slice(-n).join("\n");
  }

  private async ready(timeoutMs: number): Promise<void> {
    const addressFile = join(this.dir, "admin-address");
    await this.waitFor(() => existsSync(addressFile) && readFileSync(addressFile, "utf8").trim() !== "", timeoutMs, "the admin address");
    this.adminUrl = `http://${readFileSync(addressFile, "utf8").trim()}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`envoy exited during start-up:\n${this.tail()}`);
      const r = await fetch(`${this.adminUrl}/ready`).catch(() => null);
      if (r?.status === 200) return;
      await r?.text();
      if (Date.now() > deadline) throw new Error(`envoy did not become ready in ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  async admin(path: string): Promise<string> {
    const r = await fetch(`${this.adminUrl}${path}`);
    const text = await r.text();
    if (!r.ok) throw new Error(`envoy admin ${path}: HTTP ${r.status}: ${text}`);
    return text;
  }

  /** Listener name -> the port it listens on. */
  async ports(): Promise<Map<string, number>> {
    const j = JSON.parse(await this.admin("/listeners?format=json"));
    const m = new Map<string, number>();
    for (const l of j.listener_statuses ?? []) m.set(l.name, l.local_address?.socket_address?.port_value);
    return m;
  }

  async port(name: string): Promise<number> {
    const p = (await this.ports()).get(name);
    if (!p) throw new Error(`envoy has no listener ${name}`);
    return p;
  }

  /** Envoy's LDS counters: the version it applied last, and how many updates it rejected. */
  private async ldsState(): Promise<{ version: string; rejected: number }> {
    const stats = await this.admin("/stats?filter=^listener_manager\\.lds\\.(version_text|update_rejected)$");
    return {
      version: /version_text: "([^"]*)"/.exec(stats)?.[1] ?? "",
      rejected: Number(/update_rejected: (\d+)/.exec(stats)?.[1] ?? 0),
    };
  }

  /**
   * Replace the listeners (dynamicListeners only) and wait until Envoy applied them and every one serves. An
   * update Envoy rejects (e.g. a bundle the filter refuses) makes this reject with Envoy's reason; Envoy then
   * keeps serving the listeners it had.
   */
  async setListeners(listeners: ListenerSpec[], timeoutMs = 10_000): Promise<Map<string, number>> {
    if (!this.o.dynamicListeners) throw new Error("setListeners needs dynamicListeners");
    const version = String(++this.ldsVersion);
    const ldsPath = join(this.dir, "lds", "listeners.json");
    const tmp = join(this.dir, "lds", `.listeners-${version}.json`);
    const { rejected } = await this.ldsState();
    writeFileSync(tmp, JSON.stringify(ldsResponse(listeners, this.wasmPath, version)));
    renameSync(tmp, ldsPath); // an atomic move is what the watched directory reacts to
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lds = await this.ldsState();
      if (lds.rejected > rejected) {
        const dump = JSON.parse(await this.admin("/config_dump?resource=dynamic_listeners"));
        const errors = (dump.configs ?? []).filter((c: any) => c.error_state).map((c: any) => `${c.name}: ${c.error_state.details ?? "refused"}`);
        throw new Error(`envoy refused the listeners: ${errors.join("; ") || this.tail(5)}`);
      }
      if (lds.version === version) {
        const ports = await this.ports();
        if (listeners.every((l) => ports.get(l.name))) return ports;
      }
      if (Date.now() > deadline) throw new Error(`listeners of version ${version} not active after ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  /** Stop Envoy (SIGTERM, then SIGKILL after timeoutMs) and remove its files. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.exited) {
      this.child.kill("SIGTERM");
      const t = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
      await this.exit;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The JSON record in a line the filter logged ("wasm log <plugin ids>: {...}"), or null. */
export function auditRecordOf(line: string): AuditRecord | null {
  if (!line.startsWith("wasm log")) return null;
  const i = line.indexOf(": {");
  if (i < 0) return null;
  try {
    return JSON.parse(line.slice(i + 2));
  } catch {
    return null;
  }
}
