// One engine per isolate, with the policy bundle either compiled into the Worker (the policy.tgb data
// module) or read from KV. Everything the engine keeps between requests (the active bundle, rate-limit
// buckets) therefore lives per isolate: Cloudflare runs many isolates, each with its own buckets.
//
// KV: the first request of an isolate waits for the bundle; afterwards the isolate checks KV at most once
// per POLICY_REFRESH_SECONDS, on the request that finds the interval elapsed. With POLICY_VERSION_KEY only
// that small key is read and the bundle is fetched when its text changes; without it the bundle itself is
// read and swapped in when its bytes differ. A bundle the engine refuses leaves the previous one active.
import { Engine, BundleError } from "../../kit/engine.ts";
import type { AuditPolicy } from "../../kit/audit.ts";
import engineModule from "./engine.wasm";
import embedded from "./policy.tgb";
import { AuditLog } from "./audit.ts";
import type { Env, KvNamespace } from "./env.ts";
import type { Settings } from "./settings.ts";

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Gate {
  readonly engine = new Engine(engineModule);
  readonly audit: AuditLog;
  private auditPolicy: AuditPolicy = { policyHash: null, mode: "enforce", bundleVersion: null };
  private checkedAt = -Infinity;
  private lastVersion: string | null = null;
  private lastBytes: Uint8Array | null = null;
  private refreshing: Promise<void> | null = null;

  private constructor(env: Env, settings: Settings) {
    this.audit = new AuditLog(this.engine, () => this.auditPolicy, settings.auditArgs);
    if (embedded.byteLength > 0) this.load(new Uint8Array(embedded), env.POLICY_VERSION ?? null, "embedded");
  }

  private static isolate: Gate | null = null;

  /** The isolate's gate, with the newest policy KV had when this request came in (see above). */
  static async ready(env: Env, settings: Settings): Promise<Gate> {
    const gate = (Gate.isolate ??= new Gate(env, settings));
    const kv = env.POLICY_KV;
    if (kv && Date.now() - gate.checkedAt >= settings.refreshMs) {
      gate.refreshing ??= gate.refresh(kv, settings).finally(() => (gate.refreshing = null));
      await gate.refreshing;
    }
    return gate;
  }

  get policyHash(): string | null {
    return this.engine.policyHash;
  }

  private load(bytes: Uint8Array, version: string | null, source: string): void {
    try {
      this.engine.loadBundle(bytes);
    } catch (e) {
      if (!(e instanceof BundleError)) throw e;
      this.audit.event("POLICY_LOAD_FAILED", { source, version, reason: e.message }, "WARN");
      return;
    }
    this.auditPolicy = { policyHash: this.engine.policyHash, mode: this.engine.policy.mode, bundleVersion: version };
    this.audit.event("POLICY_LOADED", { source, bytes: bytes.length });
  }

  private async refresh(kv: KvNamespace, s: Settings): Promise<void> {
    try {
      if (s.versionKey) {
        const version = await kv.get(s.versionKey, "text");
        if (version === null || version === this.lastVersion) return;
        const bundle = await kv.get(s.policyKey, "arrayBuffer");
        if (bundle === null) return;
        this.lastVersion = version;
        this.load(new Uint8Array(bundle), version, "kv");
      } else {
        const bundle = await kv.get(s.policyKey, "arrayBuffer");
        if (bundle === null) return;
        const bytes = new Uint8Array(bundle);
        if (sameBytes(this.lastBytes, bytes)) return;
        this.lastBytes = bytes;
        this.load(bytes, null, "kv");
      }
    } catch (e) {
      // KV unreachable: keep deciding with the policy we have (none: every call is refused).
      this.audit.event("POLICY_FETCH_FAILED", { reason: String((e as Error)?.message ?? e) }, "WARN");
    } finally {
      this.checkedAt = Date.now();
    }
  }
}
