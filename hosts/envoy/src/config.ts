// The plugin configuration (docs/envoy.md): either the raw bundle bytes (a BytesValue whose bytes start with
// the bundle magic), or a JSON object:
//   {"bundle": "<base64 of the .tgb>", "max_body_bytes": 1048576, "non_mcp": "pass" | "refuse",
//    "audit_args": "full" | "none", "rate_limit_scope": "<name>",
//    "approval": {"cluster": "<envoy cluster>", "path": "/approve", "authority": "<host>", "timeout_ms": 30000}}
// Unknown keys and wrong types refuse the configuration, so a typo never runs as a weaker policy.

import { Buf, bufNew, bufAscii, bufBytes } from "../../../engine-as/src/buf";
import {
  jsonReset, skipWs, scanValue, kindAt, objFirst, memberValue, objNext, skipValue, decodeString, strPtr, strLen,
  equalsAscii, J_OBJECT, J_STRING, J_NUMBER,
} from "../../../engine-as/src/json";

export const NON_MCP_PASS: u32 = 0;
export const NON_MCP_REFUSE: u32 = 1;

/** One plugin configuration (a root context). Strings and the bundle are heap copies owned by it. */
@unmanaged
export class Root {
  kind: u32; // KIND_ROOT
  id: u32;
  configured: bool;
  bundle: usize;
  bundleLen: usize;
  maxBody: u32; // 0: the bundle's maximum message size
  nonMcp: u32;
  auditArgs: bool;
  scope: usize;
  scopeLen: usize;
  approvalCluster: usize;
  approvalClusterLen: usize;
  approvalPath: usize;
  approvalPathLen: usize;
  approvalAuthority: usize;
  approvalAuthorityLen: usize;
  approvalTimeoutMs: u32;
  // Filled in once the bundle loaded:
  hashHex: usize; // 64 bytes
  policyFlags: u32;
  rateRules: u32; // rules with a rate limit
  maxMessage: u32;
}

export const KIND_ROOT: u32 = 1;
export const KIND_STREAM: u32 = 2;

export function rootNew(id: u32): Root {
  const r = changetype<Root>(heap.alloc(offsetof<Root>()));
  memory.fill(changetype<usize>(r), 0, offsetof<Root>());
  r.kind = KIND_ROOT;
  r.id = id;
  return r;
}

function freeIf(p: usize): void {
  if (p != 0) heap.free(p);
}

/** Drop the configuration's heap copies (before a reconfiguration, or when the root goes away). */
export function rootClear(r: Root): void {
  freeIf(r.bundle);
  freeIf(r.scope);
  freeIf(r.approvalCluster);
  freeIf(r.approvalPath);
  freeIf(r.approvalAuthority);
  freeIf(r.hashHex);
  const id = r.id;
  memory.fill(changetype<usize>(r), 0, offsetof<Root>());
  r.kind = KIND_ROOT;
  r.id = id;
}

function copy(p: usize, n: usize): usize {
  const q = heap.alloc(n == 0 ? 1 : n);
  memory.copy(q, p, n);
  return q;
}

/** Why the last parse failed (for the log). */
export let problem: Buf = changetype<Buf>(0);

function fail(what: string): bool {
  problem = bufNew(<usize>what.length + 64);
  bufAscii(problem, what);
  return false;
}

function failKey(what: string, k: usize, kn: usize): bool {
  fail(what);
  bufAscii(problem, ": ");
  bufBytes(problem, k, kn);
  return false;
}

const MAGIC: u32 = 0x31424754; // "TGB1", docs/bundle-format.md

/** Parse [p, p+n) into r (whose previous configuration was cleared). Returns false with `problem` set. */
export function parseConfig(r: Root, p: usize, n: usize): bool {
  r.nonMcp = NON_MCP_PASS;
  r.auditArgs = true;
  r.approvalTimeoutMs = 30000;
  setDefault(r);
  if (n >= 4 && load<u32>(p) == MAGIC) {
    r.bundle = copy(p, n);
    r.bundleLen = n;
    return true;
  }
  const end = p + n;
  jsonReset();
  const q = skipWs(p, end);
  const vEnd = q < end ? scanValue(q, end, 0) : 0;
  if (vEnd == 0 || skipWs(vEnd, end) != end || kindAt(q) != J_OBJECT) {
    return fail("the plugin configuration is neither a toolgate bundle nor a JSON object");
  }
  let m = objFirst(q, end);
  while (m != 0) {
    decodeString(m);
    const k = strPtr;
    const kn = strLen;
    const v = memberValue(m, end);
    if (equalsAscii(k, kn, "bundle")) {
      if (kindAt(v) != J_STRING) return fail("bundle must be a base64 string");
      decodeString(v);
      if (!base64Decode(r, strPtr, strLen)) return fail("bundle is not valid base64");
    } else if (equalsAscii(k, kn, "max_body_bytes")) {
      const x = number(v, end);
      if (x <= 0 || x > 0x7fffffff) return fail("max_body_bytes must be a positive integer below 2^31");
      r.maxBody = <u32>x;
    } else if (equalsAscii(k, kn, "non_mcp")) {
      if (stringIs(v, "pass")) r.nonMcp = NON_MCP_PASS;
      else if (stringIs(v, "refuse")) r.nonMcp = NON_MCP_REFUSE;
      else return fail("non_mcp must be \"pass\" or \"refuse\"");
    } else if (equalsAscii(k, kn, "audit_args")) {
      if (stringIs(v, "full")) r.auditArgs = true;
      else if (stringIs(v, "none")) r.auditArgs = false;
      else return fail("audit_args must be \"full\" or \"none\"");
    } else if (equalsAscii(k, kn, "rate_limit_scope")) {
      if (kindAt(v) != J_STRING) return fail("rate_limit_scope must be a string");
      decodeString(v);
      if (strLen == 0 || strLen > 128) return fail("rate_limit_scope must have 1 to 128 bytes");
      freeIf(r.scope);
      r.scope = copy(strPtr, strLen);
      r.scopeLen = strLen;
    } else if (equalsAscii(k, kn, "approval")) {
      if (!parseApproval(r, v, end)) return false;
    } else return failKey("unknown configuration key", k, kn);
    m = objNext(skipValue(v, end), end);
  }
  if (r.bundle == 0) return fail("the configuration has no bundle");
  return true;
}

function setDefault(r: Root): void {
  r.scope = copy(changetype<usize>(DEFAULT_SCOPE), 7);
  r.scopeLen = 7;
}

const DEFAULT_SCOPE = memory.data<u8>([0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74]); // "default"

function parseApproval(r: Root, v: usize, end: usize): bool {
  if (kindAt(v) != J_OBJECT) return fail("approval must be an object");
  let m = objFirst(v, end);
  while (m != 0) {
    decodeString(m);
    const k = strPtr;
    const kn = strLen;
    const x = memberValue(m, end);
    if (equalsAscii(k, kn, "timeout_ms")) {
      const t = number(x, end);
      if (t <= 0 || t > 3600000) return fail("approval.timeout_ms must be between 1 and 3600000");
      r.approvalTimeoutMs = <u32>t;
    } else {
      if (kindAt(x) != J_STRING) return failKey("approval member must be a string", k, kn);
      decodeString(x);
      const c = copy(strPtr, strLen);
      if (equalsAscii(k, kn, "cluster")) {
        r.approvalCluster = c;
        r.approvalClusterLen = strLen;
      } else if (equalsAscii(k, kn, "path")) {
        r.approvalPath = c;
        r.approvalPathLen = strLen;
      } else if (equalsAscii(k, kn, "authority")) {
        r.approvalAuthority = c;
        r.approvalAuthorityLen = strLen;
      } else {
        heap.free(c);
        return failKey("unknown approval key", k, kn);
      }
    }
    m = objNext(skipValue(x, end), end);
  }
  if (r.approvalCluster == 0 || r.approvalClusterLen == 0) return fail("approval.cluster is required");
  if (r.approvalPath == 0) {
    r.approvalPath = copy(changetype<usize>(DEFAULT_PATH), 8);
    r.approvalPathLen = 8;
  }
  if (r.approvalAuthority == 0) {
    r.approvalAuthority = copy(r.approvalCluster, r.approvalClusterLen);
    r.approvalAuthorityLen = r.approvalClusterLen;
  }
  return true;
}

const DEFAULT_PATH = memory.data<u8>([0x2f, 0x61, 0x70, 0x70, 0x72, 0x6f, 0x76, 0x65]); // "/approve"

function stringIs(v: usize, s: string): bool {
  if (kindAt(v) != J_STRING) return false;
  decodeString(v);
  return equalsAscii(strPtr, strLen, s);
}

/** A non-negative JSON integer, or -1. */
function number(v: usize, end: usize): i64 {
  if (kindAt(v) != J_NUMBER) return -1;
  const e = skipValue(v, end);
  let x: i64 = 0;
  for (let p = v; p < e; p++) {
    const c = <i64>load<u8>(p) - 48;
    if (c < 0 || c > 9 || x > 0xffffffff) return -1;
    x = x * 10 + c;
  }
  return x;
}

@inline
function sextet(c: u32): i32 {
  if (c >= 65 && c <= 90) return <i32>c - 65;
  if (c >= 97 && c <= 122) return <i32>c - 71;
  if (c >= 48 && c <= 57) return <i32>c + 4;
  if (c == 43 || c == 45) return 62; // + or -
  if (c == 47 || c == 95) return 63; // / or _
  return -1;
}

/** Standard or URL-safe base64, padding optional, whitespace ignored. */
function base64Decode(r: Root, p: usize, n: usize): bool {
  const out = heap.alloc(n * 3 / 4 + 4);
  let len: usize = 0;
  let acc: u32 = 0;
  let bits: u32 = 0;
  let pad = false;
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) continue;
    if (c == 0x3d) {
      pad = true;
      continue;
    }
    const v = sextet(c);
    if (v < 0 || pad) {
      heap.free(out);
      return false;
    }
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(out + len++, <u8>(acc >> bits));
    }
  }
  freeIf(r.bundle);
  r.bundle = out;
  r.bundleLen = len;
  return true;
}
