// The engine in-process: the reference driver every other host is compared with.
import { vectorBundle } from "./bundles.ts";
import type { Engine } from "../../hosts/kit/engine.ts";
import { newEngine } from "../../hosts/kit/node.ts";
import { decisionRecord } from "../../hosts/kit/decision.ts";
import { requestText, type DecisionInput, type DecisionOutcome, type HostDriver, type ResponseInput, type ResponseOutcome } from "../types.ts";


function engineFor(policy: string | null): Engine {
  const engine = newEngine();
  if (policy !== null) {
    engine.loadBundle(vectorBundle(policy));
  }
  return engine;
}

export class EngineDriver implements HostDriver {
  readonly name = "engine";
  private clock = 1_000_000;

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async decide(policy: string | null, input: DecisionInput): Promise<DecisionOutcome> {
    const engine = engineFor(policy);
    const text = requestText(input);
    for (let i = 0; i < (input.previousCalls ?? 0); i++) engine.evaluate(requestText(input, `prior-${i}`), this.clock);
    let v = engine.evaluate(text, this.clock);
    if (v.verdict === "ask" && input.userResponse && input.userResponse !== "approve") {
      v = engine.deny(text, input.userResponse === "deny" ? -32004 : -32005);
    }
    const approved = v.verdict === "ask" && input.userResponse === "approve";
    const response = v.verdict === "reply" && v.response ? JSON.parse(new TextDecoder().decode(v.response)) : null;
    const record = decisionRecord(v, null);
    // AIP reports the protected-path case as BLOCK with -32007.
    const decision = approved ? "ALLOW" : record.decision === "PROTECTED_PATH" ? "BLOCK" : record.decision;
    return {
      decision,
      errorCode: approved ? null : record.error_code,
      violation: v.violation,
      response,
      forwarded: v.verdict === "forward" || approved,
      rule: v.rule,
      reason: v.reason,
    };
  }

  async respond(policy: string, input: ResponseInput): Promise<ResponseOutcome> {
    const engine = engineFor(policy);
    const r = input.content !== undefined
      ? engine.redactText(input.content)
      : engine.scan(input.raw ?? "", { toolsList: input.requestMethod === "tools/list" });
    return { output: new TextDecoder().decode(r.output), events: r.events };
  }
}
