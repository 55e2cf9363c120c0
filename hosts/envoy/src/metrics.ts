// Metrics through proxy_define_metric, named like the other hosts' (hosts/kit/metrics.ts: aip-go's names).
// Labels travel in the name as ".<label>.<value>" suffixes; the bootstrap that hosts/envoy generates turns them
// into Prometheus labels with stats_tags (docs/envoy.md), e.g. aip_policy_decisions{decision="BLOCK"}.
// Envoy keeps one value per name for all worker threads; each VM defines the names once.

import { defineMetric } from "./host";
import { proxy_increment_metric, proxy_record_metric, METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM } from "./abi";
import { D_ALLOW, D_BLOCK, D_ASK, D_RATE_LIMITED, D_PROTECTED_PATH } from "../../../engine-as/src/result";

let defined = false;
let requests: u32 = 0;
let violations: u32 = 0;
let redactions: u32 = 0;
let evaluationNs: u32 = 0;
let filterNs: u32 = 0;
let refused: u32 = 0;
let decisions = memory.data(4 * 6); // by engine decision, then monitor-mode allow
let approvals = memory.data(4 * 3); // approved, denied, timeout
let loads: u32 = 0;
let loadErrors: u32 = 0;
let memoryBytes: u32 = 0;

export function defineMetrics(): void {
  if (defined) return;
  defined = true;
  requests = defineMetric(METRIC_COUNTER, "aip_requests_total");
  violations = defineMetric(METRIC_COUNTER, "aip_policy_violations_total");
  redactions = defineMetric(METRIC_COUNTER, "aip_dlp_redactions_total");
  evaluationNs = defineMetric(METRIC_HISTOGRAM, "toolgate_evaluation_ns");
  filterNs = defineMetric(METRIC_HISTOGRAM, "toolgate_filter_ns");
  refused = defineMetric(METRIC_COUNTER, "toolgate_refused_requests_total");
  store<u32>(decisions + D_ALLOW * 4, defineMetric(METRIC_COUNTER, "aip_policy_decisions.decision.ALLOW"));
  store<u32>(decisions + D_BLOCK * 4, defineMetric(METRIC_COUNTER, "aip_policy_decisions.decision.BLOCK"));
  store<u32>(decisions + D_ASK * 4, defineMetric(METRIC_COUNTER, "aip_policy_decisions.decision.ASK"));
  store<u32>(decisions + D_RATE_LIMITED * 4, defineMetric(METRIC_COUNTER, "aip_policy_decisions.decision.RATE_LIMITED"));
  store<u32>(decisions + D_PROTECTED_PATH * 4, defineMetric(METRIC_COUNTER, "aip_policy_decisions.decision.PROTECTED_PATH"));
  store<u32>(decisions + 5 * 4, defineMetric(METRIC_COUNTER, "aip_policy_decisions.decision.ALLOW_MONITOR"));
  store<u32>(approvals, defineMetric(METRIC_COUNTER, "aip_approvals_total.outcome.approved"));
  store<u32>(approvals + 4, defineMetric(METRIC_COUNTER, "aip_approvals_total.outcome.denied"));
  store<u32>(approvals + 8, defineMetric(METRIC_COUNTER, "aip_approvals_total.outcome.timeout"));
  loads = defineMetric(METRIC_COUNTER, "aip_policy_reloads_total");
  loadErrors = defineMetric(METRIC_COUNTER, "aip_policy_load_errors_total");
  memoryBytes = defineMetric(METRIC_GAUGE, "toolgate_wasm_memory_bytes");
}

let reportedPages: i32 = -1;

/** The VM's linear memory size (the last VM to report wins): flat over any number of requests. */
export function recordMemory(): void {
  const pages = memory.size();
  if (pages == reportedPages || memoryBytes == 0xffffffff) return;
  reportedPages = pages;
  proxy_record_metric(memoryBytes, <u64>pages << 16);
}

function inc(id: u32, by: i64 = 1): void {
  if (id != 0xffffffff) proxy_increment_metric(id, by);
}

/** One evaluated client message. decision: the engine's D_*; monitorAllow: a violation let through. */
export function countDecision(decision: u32, violation: bool, monitorAllow: bool, nanos: u64): void {
  inc(requests);
  inc(load<u32>(decisions + (monitorAllow ? 5 : decision) * 4));
  if (violation) inc(violations);
  if (evaluationNs != 0xffffffff) proxy_record_metric(evaluationNs, nanos);
  recordMemory();
}

/** Time one exchange spent in the filter's callbacks (engine calls included). */
export function recordFilterTime(nanos: u64): void {
  if (filterNs != 0xffffffff && nanos > 0) proxy_record_metric(filterNs, nanos);
}

export function countRedactions(matches: u32): void {
  if (matches > 0) inc(redactions, matches);
}

export function countRefused(): void {
  inc(refused);
}

/** outcome: 0 approved, 1 denied, 2 timeout. */
export function countApproval(outcome: u32): void {
  inc(load<u32>(approvals + outcome * 4));
}

export function countLoad(ok: bool): void {
  inc(ok ? loads : loadErrors);
}
