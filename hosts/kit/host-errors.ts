// The JSON-RPC errors a host renders itself, because no engine verdict exists for them: the engine trapped
// (and was restarted), or the MCP server behind an HTTP gateway failed. Both use -32603 `Internal error`;
// `data.reason` says which, `data.upstream` names the server. docs/error-contract.md.

const dec = new TextDecoder();

/** A -32603 answer. idText: the request id as JSON text (null: the id is unknown). */
export function hostError(idText: string | null, reason: string, data: Record<string, unknown> = {}): string {
  const body = JSON.stringify({ code: -32603, message: "Internal error", data: { reason, ...data } });
  return `{"jsonrpc":"2.0","id":${idText ?? "null"},"error":${body}}`;
}

/**
 * The engine failed on a client message: a request gets -32603 with the id read here (best effort, only to
 * address the error; unreadable gives id null, as a parse error would), a notification gets nothing (null).
 */
export function engineFailureAnswer(message: Uint8Array, policyHash: string | null): string | null {
  let id: unknown = null;
  try {
    const m = JSON.parse(dec.decode(message));
    if (m !== null && typeof m === "object" && !Array.isArray(m)) {
      if (!("id" in m)) return null; // a notification: never answered
      id = typeof m.id === "string" || typeof m.id === "number" ? m.id : null;
    }
  } catch {
    // unreadable
  }
  return hostError(JSON.stringify(id), "policy engine failure; the message was refused", { policy_hash: policyHash });
}
