// The Worker's settings, read once per `env` object and checked: a wrong setting refuses every request with
// a clear message instead of running with a weaker configuration.
import type { ArgsMode } from "../../kit/audit.ts";
import type { Env } from "./env.ts";
import { ConfigError, parseTarget, router, type Router } from "../../kit/gateway/routes.ts";
import { approvalAt, type AskService } from "../../kit/gateway/approval.ts";

export interface Settings {
  route: Router;
  policyKey: string;
  versionKey: string | null;
  refreshMs: number;
  auditArgs: ArgsMode;
  /** null when no approval service is configured (then `ask` is answered -32005 at once). */
  approval: AskService | null;
  approvalTimeoutMs: number;
  upstreamTimeoutMs: number;
  maxResponseBytes: number;
}

const cache = new WeakMap<Env, Settings>();

function number(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new ConfigError(`${name} must be a number from 0 to ${max}: ${JSON.stringify(text)}`);
  return n;
}

function approvalService(env: Env): AskService | null {
  const binding = env.APPROVAL;
  if (binding) return approvalAt(new URL(env.APPROVAL_URL || "https://approval.internal/approve"), (u, init) => binding.fetch(u.href, init));
  if (!env.APPROVAL_URL) return null;
  return approvalAt(parseTarget(env.APPROVAL_URL, "APPROVAL_URL"));
}

export function settings(env: Env): Settings {
  let s = cache.get(env);
  if (s) return s;
  const args = env.AUDIT_ARGS ?? "full";
  if (args !== "full" && args !== "hash" && args !== "none") throw new ConfigError(`AUDIT_ARGS must be full, hash or none: ${args}`);
  s = {
    route: router(env.UPSTREAM_URL, env.ROUTES),
    policyKey: env.POLICY_KEY || "policy.tgb",
    versionKey: env.POLICY_VERSION_KEY || null,
    refreshMs: number(env.POLICY_REFRESH_SECONDS, "POLICY_REFRESH_SECONDS", 30, 86_400) * 1000,
    auditArgs: args,
    approval: approvalService(env),
    approvalTimeoutMs: number(env.APPROVAL_TIMEOUT_MS, "APPROVAL_TIMEOUT_MS", 30_000, 3_600_000),
    upstreamTimeoutMs: number(env.UPSTREAM_TIMEOUT_MS, "UPSTREAM_TIMEOUT_MS", 60_000, 3_600_000),
    maxResponseBytes: number(env.MAX_RESPONSE_BYTES, "MAX_RESPONSE_BYTES", 32 << 20, 1 << 30),
  };
  cache.set(env, s);
  return s;
}
