// The decision API, for agents and planners that check before they act (AIP v1alpha2 section 5.2):
//   POST /v1/validate        {"tool": "...", "arguments": {...}}  ->  {"decision": "allow|block|ask", ...}
//   POST /v1/validate/batch  {"checks": [{"tool", "arguments"}, ...]}  ->  {"decision", "results": [...]}
// A check is the tools/call the agent would send, decided by the same engine, policy and rate limits as the
// MCP traffic, and audited. A batch is decided against one policy snapshot: every check is validated first,
// then all are evaluated in one go, with no reload in between (a batch with one bad check decides nothing).
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EngineTrap, type Verdict } from "../../kit/engine.ts";
import { aipDecision } from "../../kit/decision.ts";
import type { HostContext } from "../context.ts";
import { readBody, sendJson } from "./node-http.ts";

export const VALIDATE_PATH = "/v1/validate";
export const BATCH_PATH = "/v1/validate/batch";

export interface ValidateApiOptions {
  /** Bearer token callers must present (null: no authentication, for a localhost sidecar). */
  token: string | null;
  maxBodyBytes: number;
  maxBatchChecks: number;
}

interface Check {
  tool: string;
  arguments: Record<string, unknown>;
}

interface Violation {
  type: string;
  field?: string;
  message: string;
}

export interface ValidateAnswer {
  decision: "allow" | "block" | "ask";
  reason?: string;
  violations?: Violation[];
  /** Set when the check was refused by a rate limit (HTTP 429 for a single check). */
  error?: "rate_limited";
  retry_after_ms?: number;
  rule?: string;
  policy_hash: string | null;
}

class BadRequest extends Error {
  constructor(readonly status: number, readonly error: string, message: string) {
    super(message);
  }
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A check as the API accepts it: `tool` a non-empty string, `arguments` an object when given. */
function readCheck(value: unknown, where: string): Check {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new BadRequest(400, "invalid_request", `${where}must be a JSON object`);
  const v = value as Record<string, unknown>;
  if (typeof v.tool !== "string" || v.tool === "") throw new BadRequest(400, "invalid_request", `${where}Missing required field: tool`);
  const args = v.arguments ?? {};
  if (args === null || typeof args !== "object" || Array.isArray(args)) throw new BadRequest(400, "invalid_request", `${where}arguments must be a JSON object`);
  return { tool: v.tool, arguments: args as Record<string, unknown> };
}

/** The tools/call the agent would send. */
function toolsCall(c: Check): string {
  return `{"jsonrpc":"2.0","id":"validate","method":"tools/call","params":{"name":${JSON.stringify(c.tool)},"arguments":${JSON.stringify(c.arguments)}}}`;
}

export class ValidateApi {
  constructor(private readonly ctx: HostContext, private readonly o: ValidateApiOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    try {
      if (req.method !== "POST") throw new BadRequest(405, "method_not_allowed", "Only POST is allowed");
      this.authenticate(req);
      const body = await readBody(req, this.o.maxBodyBytes);
      if (body.truncated) throw new BadRequest(413, "invalid_request", `Body larger than ${this.o.maxBodyBytes} bytes`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(body.bytes).toString("utf8"));
      } catch {
        throw new BadRequest(400, "invalid_request", "Invalid JSON body");
      }
      if (path === BATCH_PATH) return this.batch(res, parsed);
      const answer = this.decide(readCheck(parsed, ""));
      this.ctx.audit.commit(); // on disk before the answer goes out
      const status = answer.error === "rate_limited" ? 429 : 200;
      const headers = answer.retry_after_ms !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(answer.retry_after_ms / 1000))) } : {};
      sendJson(res, status, answer, headers);
    } catch (e) {
      if (e instanceof BadRequest) {
        const headers = e.status === 401 ? { "www-authenticate": 'Bearer realm="toolgate"' }
          : e.status === 405 ? { allow: "POST" }
          : e.status === 413 ? { connection: "close" } // the rest of the body is not read
          : {};
        return sendJson(res, e.status, { error: e.error, message: e.message }, headers);
      }
      if (e instanceof EngineTrap) {
        this.ctx.recordEvent("ENGINE_FAILURE", { direction: "validate_api", reason: e.message }, "WARN");
        return sendJson(res, 500, { error: "internal_error", message: "policy engine failure; nothing was decided" });
      }
      throw e;
    }
  }

  /** `Authorization: Bearer <token>` only: never from the body, the query or a cookie (AIP 6.2.1). */
  private authenticate(req: IncomingMessage): void {
    if (this.o.token === null) return;
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new BadRequest(401, "token_required", "A bearer token is required (Authorization: Bearer <token>)");
    if (!tokenMatches(m[1], this.o.token)) throw new BadRequest(401, "token_invalid", "Token validation failed");
  }

  private batch(res: ServerResponse, parsed: unknown): void {
    const list = (parsed as { checks?: unknown } | null)?.checks;
    if (!Array.isArray(list)) throw new BadRequest(400, "invalid_request", "Missing required field: checks (an array of {tool, arguments})");
    if (list.length === 0) throw new BadRequest(400, "invalid_request", "checks is empty");
    if (list.length > this.o.maxBatchChecks) throw new BadRequest(413, "invalid_request", `more than ${this.o.maxBatchChecks} checks in one batch`);
    const checks = list.map((c, i) => readCheck(c, `checks[${i}]: `));
    // One synchronous loop: no reload can swap the policy between two checks.
    const results = checks.map((c) => this.decide(c));
    this.ctx.audit.commit(); // one write for the whole batch, before the answer goes out
    const decision = results.some((r) => r.decision === "block") ? "block" : results.some((r) => r.decision === "ask") ? "ask" : "allow";
    sendJson(res, 200, { decision, policy_hash: this.ctx.engine.policyHash, results });
  }

  private decide(c: Check): ValidateAnswer {
    const { ctx } = this;
    const started = performance.now();
    const v = ctx.engine.evaluate(toolsCall(c), started);
    ctx.countVerdict(v, (performance.now() - started) / 1000);
    ctx.recordDecision(v, { source: "validate_api" });
    return this.answer(v);
  }

  /** The engine's verdict in the API's words (aip-go's mapping, with the reason texts of the AIP vectors). */
  private answer(v: Verdict): ValidateAnswer {
    const policy_hash = this.ctx.engine.policyHash;
    const rule = v.rule || undefined;
    switch (aipDecision(v)) {
      case "ALLOW":
        return v.violation
          ? { decision: "allow", reason: `${v.reason} (monitor mode: not enforced)`, rule, policy_hash }
          : { decision: "allow", reason: "Tool is allowed", policy_hash };
      case "ASK":
        return { decision: "ask", reason: "Tool requires user approval", rule, policy_hash };
      case "RATE_LIMITED":
        return {
          decision: "block",
          error: "rate_limited",
          reason: v.reason,
          violations: [{ type: "rate_limited", message: v.reason }],
          ...(v.retryAfterMs !== null ? { retry_after_ms: v.retryAfterMs } : {}),
          rule,
          policy_hash,
        };
      case "PROTECTED_PATH":
        return {
          decision: "block",
          reason: "Access to protected path blocked",
          violations: [{ type: "protected_path", field: v.failedArg ?? "path", message: "An argument names a protected path" }],
          rule,
          policy_hash,
        };
      default:
        return { decision: "block", reason: v.reason, violations: [this.violation(v)], rule, policy_hash };
    }
  }

  private violation(v: Verdict): Violation {
    if (v.failedArg !== null) {
      // The caller asks before acting; the pattern tells it what would pass (as aip-go and the AIP vectors do).
      const pattern = this.ctx.auditOptions.ruleSource?.(v.rule) ?? null;
      return { type: "argument_validation", field: v.failedArg, message: pattern !== null ? `Value does not match pattern: ${pattern}` : v.reason };
    }
    if (v.kind === "invalid" || v.errorCode === -32600 || v.errorCode === -32602) return { type: "invalid_request", message: v.reason };
    return { type: "tool_not_allowed", message: v.reason };
  }
}
