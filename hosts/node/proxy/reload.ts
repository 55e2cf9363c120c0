// Hot reload. Noticing that the policy file changed: watching the file alone misses the usual ways files are
// replaced (editors write a new file and rename it over the old one; Kubernetes ConfigMap and Secret volumes
// swap a `..data` symlink in the directory), so the directory is watched too and the file watcher is renewed
// after every change; bursts of events are debounced. Then the new policy is compiled and swapped in
// atomically; one that does not compile (or that the engine refuses) leaves the previous one active, is
// logged with file:line:column, recorded and counted.
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { eventRecord } from "../../kit/audit.ts";
import { compileIsolated, type WorkerCompileOptions } from "./compile-worker.ts";
import type { HostContext } from "../context.ts";
import { describePolicy } from "./policy.ts";

export class PolicyWatcher {
  private fileWatcher: FSWatcher | null = null;
  private dirWatcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly name: string;

  constructor(private readonly path: string, private readonly onChange: () => void, private readonly debounceMs = 100) {
    this.name = basename(path);
    try {
      this.dirWatcher = watch(dirname(resolve(path)), (_event, file) => {
        // The policy itself, or Kubernetes' `..data` / `..2024_…` entries; not the audit log next to it.
        if (file === null || file === this.name || String(file).startsWith("..")) this.changed();
      });
      this.dirWatcher.on("error", () => this.dirWatcher?.close());
      this.dirWatcher.unref();
    } catch {
      this.dirWatcher = null;
    }
    this.watchFile();
  }

  private watchFile(): void {
    this.fileWatcher?.close();
    try {
      this.fileWatcher = watch(this.path, () => this.changed());
      this.fileWatcher.on("error", () => {
        this.fileWatcher?.close();
        this.fileWatcher = null;
      });
      this.fileWatcher.unref();
    } catch {
      this.fileWatcher = null; // the file is missing for a moment (being replaced): the directory watcher sees it return
    }
  }

  /** Something may have changed (also called for SIGHUP). */
  changed(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      this.watchFile();
      this.onChange();
    }, this.debounceMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.fileWatcher?.close();
    this.dirWatcher?.close();
  }
}

export class PolicyReloader {
  private readonly watcher: PolicyWatcher | null;
  private lastSource: Buffer;
  private running = false;
  private again = false;
  private closed = false;
  private readonly onSighup = () => (this.watcher ? this.watcher.changed() : void this.reload());

  constructor(
    private readonly path: string,
    source: Buffer,
    private readonly compileOptions: WorkerCompileOptions,
    private readonly ctx: HostContext,
    private readonly o: { watch: boolean; policyName: () => string | null },
    /** The active policy hash changed. */
    private readonly onChanged: () => void,
  ) {
    this.lastSource = source;
    this.watcher = o.watch ? new PolicyWatcher(path, () => void this.reload()) : null;
    process.on("SIGHUP", this.onSighup);
  }

  /**
   * Load the file if it changed (force: even if not; a fresh bundle also starts fresh rate-limit buckets).
   * One reload at a time; a change that arrives meanwhile is picked up after.
   */
  async reload(force = false): Promise<void> {
    if (force) this.lastSource = Buffer.alloc(0);
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.reloadOnce();
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }

  private async reloadOnce(): Promise<void> {
    const { ctx } = this;
    const keeping = () => `keeping policy_hash ${ctx.auditPolicy.policyHash}`;
    let source: Buffer;
    try {
      source = readFileSync(this.path);
    } catch (e) {
      ctx.metrics.loadErrors.inc();
      ctx.log.error(`policy reload: ${(e as Error).message}; ${keeping()}`);
      return;
    }
    if (source.equals(this.lastSource)) return;
    this.lastSource = source;
    try {
      const next = await compileIsolated(this.path, source, this.compileOptions);
      if (this.closed) return;
      for (const w of next.warnings) ctx.log.info(w);
      const previous = ctx.auditPolicy.policyHash;
      ctx.activate(next);
      ctx.metrics.reloads.inc();
      ctx.write(eventRecord("POLICY_RELOADED", { policy_file: this.path, policy_name: this.o.policyName(), previous_policy_hash: previous }, ctx.auditPolicy, ctx.auditOptions));
      ctx.audit.commit();
      ctx.log.info(`Policy reloaded: ${describePolicy(next, this.path, ctx.auditPolicy.policyHash)}`);
      if (previous !== ctx.auditPolicy.policyHash) this.onChanged();
    } catch (e) {
      ctx.metrics.loadErrors.inc();
      const message = (e as Error).message;
      ctx.write(eventRecord("POLICY_LOAD_FAILED", { policy_file: this.path, error: message }, ctx.auditPolicy, ctx.auditOptions, "WARN"));
      ctx.audit.commit();
      ctx.log.error(`policy reload failed; ${keeping()}:\n${message}`);
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    process.off("SIGHUP", this.onSighup);
  }
}
