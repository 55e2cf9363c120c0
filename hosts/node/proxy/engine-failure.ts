// The one answer the stdio proxy renders itself: the engine trapped (a bug, or memory exhausted) and was
// restarted, so there is no verdict for this message. It fails closed (hosts/kit/host-errors.ts): a request
// gets JSON-RPC -32603, a notification gets nothing, and nothing is forwarded.
import { engineFailureAnswer } from "../../kit/host-errors.ts";

export function internalError(message: Uint8Array, policyHash: string | null): Buffer | null {
  const answer = engineFailureAnswer(message, policyHash);
  return answer === null ? null : Buffer.from(answer + "\n");
}
