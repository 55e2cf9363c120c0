// The one answer the host renders itself: the engine trapped (a bug, or memory exhausted) and was restarted, so
// there is no verdict for this message. It fails closed: a request gets JSON-RPC -32603 with the id read here
// (best effort, only to address the error), a notification gets nothing, and nothing is forwarded.

export function internalError(message: Uint8Array, policyHash: string | null): Buffer | null {
  let id: unknown = null;
  try {
    const m = JSON.parse(Buffer.from(message.buffer, message.byteOffset, message.length).toString("utf8"));
    if (m !== null && typeof m === "object" && !Array.isArray(m)) {
      if (!("id" in m)) return null; // a notification: never answered
      id = typeof m.id === "string" || typeof m.id === "number" ? m.id : null;
    }
  } catch {
    // unreadable: answered with id null, as a parse error would be
  }
  return Buffer.from(
    JSON.stringify({
      jsonrpc: "2.0",
      id,
      error: { code: -32603, message: "Internal error", data: { reason: "policy engine failure; the message was refused", policy_hash: policyHash } },
    }) + "\n",
  );
}
