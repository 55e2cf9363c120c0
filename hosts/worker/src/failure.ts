// The answers the Worker renders itself, because no engine verdict exists for them: the engine trapped (and
// was restarted with the same bundle), or the Worker's configuration is wrong. Both fail closed; the JSON-RPC
// shape is the stdio proxy's (-32603 with the policy hash), nothing is forwarded.
import type { EngineTrap } from "../../kit/engine.ts";
import type { Gate } from "./gate.ts";

const dec = new TextDecoder();

/** Engine output as a fetch body (engine memory is never shared, so its bytes are a plain ArrayBuffer's). */
export const bodyOf = (b: Uint8Array | string) => b as Uint8Array<ArrayBuffer> | string;

export function jsonResponse(status: number, body: Uint8Array | string, headers: HeadersInit = {}): Response {
  return new Response(bodyOf(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function internalError(id: unknown, reason: string, policyHash: string | null): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32603, message: "Internal error", data: { reason, policy_hash: policyHash } } });
}

/** A client message the engine could not decide: a request gets -32603 (id read here only to address it). */
export function decideFailure(gate: Gate, message: Uint8Array, e: EngineTrap): Response {
  gate.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "upstream" }, "WARN");
  let id: unknown = null;
  try {
    const m = JSON.parse(dec.decode(message));
    if (m !== null && typeof m === "object" && !Array.isArray(m)) {
      if (!("id" in m)) return new Response(null, { status: 500 }); // a notification is never answered
      id = typeof m.id === "string" || typeof m.id === "number" ? m.id : null;
    }
  } catch {
    // unreadable: answered with id null, as a parse error would be
  }
  return jsonResponse(500, internalError(id, "policy engine failure; the message was refused", gate.policyHash));
}

/** A server message the engine could not scan is withheld, never passed on unscanned. */
export function scanFailure(gate: Gate, e: EngineTrap): Response {
  gate.audit.event("ENGINE_FAILURE", { reason: e.message, direction: "downstream" }, "WARN");
  return jsonResponse(502, internalError(null, "policy engine failure; the response was withheld", gate.policyHash));
}

export function configFailure(message: string): Response {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "ERROR", msg: "event", event: "CONFIG_REFUSED", reason: message }));
  return new Response(`toolgate: configuration refused: ${message}\n`, { status: 500, headers: { "content-type": "text/plain" } });
}
