// A vector's policy compiled once per run. Vectors are written for one fixed machine: home /home/agent,
// working directory /work (the stdio driver passes the same values to the proxy as --home and --cwd).
import { compilePolicy } from "../../compiler/index.ts";

export const VECTOR_HOME = "/home/agent";
export const VECTOR_CWD = "/work";

const cache = new Map<string, Uint8Array>();

export function vectorBundle(policy: string): Uint8Array {
  let bytes = cache.get(policy);
  if (!bytes) {
    bytes = compilePolicy(policy, "<inline>", { cwd: VECTOR_CWD, home: VECTOR_HOME }).bytes;
    cache.set(policy, bytes);
  }
  return bytes;
}
