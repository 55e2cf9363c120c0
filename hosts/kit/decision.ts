// How an engine verdict reads in AIP's vocabulary (conformance vectors, `toolgate eval`, audit records).
import type { Verdict } from "./engine.ts";

export type AipDecision = "ALLOW" | "BLOCK" | "ASK" | "RATE_LIMITED" | "PROTECTED_PATH";

export interface DecisionRecord {
  decision: AipDecision;
  error_code: number | null;
  violation: boolean;
  rule: string | null;
  reason: string | null;
  policy_hash: string | null;
}

/** The decision as AIP reports it: what passes is ALLOW (with violation=true in monitor mode). */
export function aipDecision(v: Verdict): AipDecision {
  if (v.verdict === "forward" || v.verdict === "rewrite") return "ALLOW";
  if (v.verdict === "ask") return "ASK";
  return v.decision === "ALLOW" || v.decision === "ASK" ? "BLOCK" : v.decision;
}

export function decisionRecord(v: Verdict, policyHash: string | null): DecisionRecord {
  const decision = aipDecision(v);
  return {
    decision,
    error_code: decision === "ALLOW" || decision === "ASK" ? null : v.errorCode,
    violation: v.violation,
    rule: v.rule || null,
    reason: v.reason || null,
    policy_hash: policyHash,
  };
}
