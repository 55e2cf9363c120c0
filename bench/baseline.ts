// The plain-JavaScript baseline: the same policy evaluated the way a JS proxy would do it (JSON.parse,
// String.normalize, Sets, RegExp). It exists only to be measured beside the engine.
import { ARG_RULES, DLP_PATTERNS, PROTECTED } from "./policy.ts";

const toJsRegex = (re: string, flags = "") => (re.startsWith("(?i)") ? new RegExp(re.slice(4), flags + "i") : new RegExp(re, flags));

export class JsPolicy {
  private allowed = new Set(Array.from({ length: 100 }, (_, i) => `tool_${i}`));
  private rules = new Map(ARG_RULES.map((r) => [r.tool, { arg: r.arg, re: toJsRegex(r.regex) }]));
  private paths = PROTECTED.map((p) => p.replace(/^~/, "/home/agent"));
  private dlp = DLP_PATTERNS.map(([name, re]) => ({ name, re: toJsRegex(re, "g") }));

  private norm(s: string): string {
    return s.normalize("NFKC").toLowerCase().trim();
  }

  private hitsPath(v: unknown): boolean {
    if (typeof v === "string") return this.paths.some((p) => v.includes(p) || v.replace(/^~/, "/home/agent").startsWith(p));
    if (Array.isArray(v)) return v.some((x) => this.hitsPath(x));
    if (v && typeof v === "object") return Object.values(v).some((x) => this.hitsPath(x));
    return false;
  }

  decide(line: string): number {
    const m = JSON.parse(line);
    if (this.norm(m.method) !== "tools/call") return 0;
    const name = this.norm(m.params.name);
    const args = m.params.arguments ?? {};
    if (this.hitsPath(args)) return -32007;
    if (!this.allowed.has(name)) return -32001;
    const rule = this.rules.get(name);
    if (rule && (!(rule.arg in args) || !rule.re.test(String(args[rule.arg])))) return -32001;
    return 0;
  }

  redact(text: string): string {
    for (const p of this.dlp) text = text.replace(p.re, `[REDACTED:${p.name}]`);
    return text;
  }
}
