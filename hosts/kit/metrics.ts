// A small Prometheus registry (text exposition format 0.0.4) shared by the hosts: counters with labels and
// histograms. Host-neutral: no Node APIs, so the Worker and the HTTP gateway can use it too.

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface Metric {
  readonly name: string;
  render(): string;
}

/** A monotonically increasing count, optionally split by labels. */
export class Counter implements Metric {
  protected readonly series = new Map<string, { values: string[]; value: number }>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[] = [], readonly type = "counter") {
    if (labelNames.length === 0) this.series.set("", { values: [], value: 0 });
  }

  inc(labels?: Labels, by = 1): void {
    const values = this.labelNames.map((n) => labels?.[n] ?? "");
    const key = values.join("\u0000");
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { values, value: by });
  }

  get(labels?: Labels): number {
    const key = this.labelNames.map((n) => labels?.[n] ?? "").join("\u0000");
    return this.series.get(key)?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) lines.push(`${this.name}${labelText(this.labelNames, s.values)} ${num(s.value)}`);
    return lines.join("\n") + "\n";
  }
}

/** A value that goes up and down (set, not incremented). */
export class Gauge extends Counter {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "gauge");
  }

  set(value: number, labels?: Labels): void {
    this.inc(labels, value - this.get(labels));
  }

  /** Drop every series (a gauge whose label set changes, e.g. the active policy hash). */
  reset(): void {
    this.series.clear();
  }
}

/** Observations counted into cumulative buckets (seconds, bytes, ...). */
export class Histogram implements Metric {
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    // Stored per bucket; made cumulative when rendered.
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]) {
        this.counts[i]++;
        return;
      }
    }
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += this.counts[i];
      lines.push(`${this.name}_bucket{le="${num(this.buckets[i])}"} ${cumulative}`);
    }
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${num(this.sum)}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines.join("\n") + "\n";
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.push(m);
    return m;
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    return this.metrics.map((m) => m.render()).join("\n");
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Buckets for a policy decision's duration: tens of microseconds to a second. */
export const DURATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1];

/** The metrics every toolgate host exports, named as in the AIP Kubernetes guide. */
export interface PolicyMetrics {
  registry: Registry;
  requests: Counter;
  decisions: Counter;
  violations: Counter;
  dlpRedactions: Counter;
  duration: Histogram;
  loadErrors: Counter;
  reloads: Counter;
  approvals: Counter;
  policyInfo: Gauge;
}

export function policyMetrics(): PolicyMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: registry.add(new Counter("aip_requests_total", "Messages from the client evaluated by the policy engine")),
    decisions: registry.add(new Counter("aip_policy_decisions", "Policy decisions by outcome", ["decision"])),
    violations: registry.add(new Counter("aip_policy_violations_total", "Policy violations (blocked, or let through in monitor mode)")),
    dlpRedactions: registry.add(new Counter("aip_dlp_redactions_total", "Secrets redacted from server messages, by DLP pattern", ["rule"])),
    duration: registry.add(new Histogram("aip_request_duration_seconds", "Time the proxy took to decide a client message (excluding the server and human approval)", DURATION_BUCKETS)),
    loadErrors: registry.add(new Counter("aip_policy_load_errors_total", "Policy (re)loads that failed; the previous policy stayed active")),
    reloads: registry.add(new Counter("aip_policy_reloads_total", "Policies (re)loaded successfully")),
    approvals: registry.add(new Counter("aip_approvals_total", "Human approvals of ask rules by outcome and channel", ["outcome", "via"])),
    policyInfo: registry.add(new Gauge("aip_policy_info", "The active policy (value 1), labelled with its hash", ["policy_hash"])),
  };
}
