// The toolgate Envoy filter: the engine's sources plus proxy-wasm glue, compiled into one module
// (build/envoy-filter.wasm). The glue moves bytes between Envoy and the engine and maps the engine's verdicts
// onto HTTP; every decision, redaction and error body comes from the engine. docs/envoy.md describes the
// behaviour; this file only wires callbacks.
//
// Requests: an MCP POST body is buffered (up to a cap) and evaluated; a refusal is answered by the filter with
// the engine's JSON-RPC error. Responses to forwarded requests: JSON bodies are buffered and scanned as one
// message, server-sent events are scanned event by event through an engine stream.

import * as abi from "./abi";
import * as host from "./host";
import { Buf, bufNew, bufAscii, bufBytes, bufU64, bufHex } from "../../../engine-as/src/buf";
import { arenaReset } from "../../../engine-as/src/arena";
import * as bundle from "../../../engine-as/src/bundle";
import {
  tg_input, tg_load, tg_evaluate, tg_deny, tg_scan, tg_stream_open, tg_stream_write, tg_stream_end, tg_policy_flags,
  tg_policy_hash,
} from "../../../engine-as/src/index";
import { renderError, E_INVALID_REQUEST, E_USER_DENIED, E_USER_TIMEOUT, SUBJECT_NONE } from "../../../engine-as/src/errors";
import {
  getU32, spanPtr, spanLen, R_VERDICT, R_DECISION, R_VIOLATION, R_KIND, R_FLAGS, R_RESPONSE, R_RULE, R_REASON,
  R_TOOL, R_ID, R_EVENTS, V_FORWARD, V_REPLY, V_ASK, V_DROP, V_REWRITE, K_REQUEST, K_NOTIFICATION, F_TOOLS_LIST,
} from "../../../engine-as/src/result";
import { Root, rootNew, rootClear, parseConfig, problem, KIND_ROOT, KIND_STREAM, NON_MCP_REFUSE } from "./config";
import {
  Exchange, exchangeNew, exchangeFree, exchangeFreeAsk, heapCopy, PHASE_BUFFERING, PHASE_FORWARDED, PHASE_ANSWERED,
  PHASE_APPROVAL, PHASE_PASSTHROUGH, BODY_NONE, BODY_JSON, BODY_SSE, BODY_DISCARD,
} from "./exchange";
import { IdMap, idMapNew, idMapGet, idMapPut, idMapRemove } from "./idmap";
import { decisionRecord, approvalRecord, dlpRecords, eventRecord, needsRecord } from "./audit";
import { defineMetrics, countDecision, countRedactions, countRefused, countApproval, countLoad, recordMemory, recordFilterTime } from "./metrics";
import { limitedRules, markUntouched, touchedRule, loadBucket, storeBucket, emptyBucket, initBuckets } from "./buckets";

const CF_DLP: u32 = 8;
const SSE_MODE: u32 = 1;
const DEFAULT_CAP: u32 = 4 << 20; // bodies held in the proxy's memory: smaller than the stdio proxy's 16 MiB
const CAS_ATTEMPTS = 16;

const contexts: IdMap = idMapNew(); // context id -> Root | Exchange
const calls: IdMap = idMapNew(); // approval call token -> stream context id
let activeRoot: usize = 0; // the root whose bundle the engine holds (roots of one VM share the engine)

// ---- Module lifecycle ----

export function proxy_abi_version_0_2_1(): void {}

/** The host hands buffers to the module through this allocator; the glue frees them after use. */
export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_on_vm_start(_root: u32, _size: usize): bool {
  return true;
}

export function proxy_on_context_create(id: u32, parent: u32): void {
  if (parent == 0) {
    idMapPut(contexts, id, changetype<usize>(rootNew(id)));
    return;
  }
  const r = idMapGet(contexts, parent);
  if (r != 0 && load<u32>(r) == KIND_ROOT) idMapPut(contexts, id, changetype<usize>(exchangeNew(id, changetype<Root>(r))));
}

function rootOf(id: u32): Root | null {
  const p = idMapGet(contexts, id);
  return p != 0 && load<u32>(p) == KIND_ROOT ? changetype<Root>(p) : null;
}

function exchangeOf(id: u32): Exchange | null {
  const p = idMapGet(contexts, id);
  return p != 0 && load<u32>(p) == KIND_STREAM ? changetype<Exchange>(p) : null;
}

// ---- Configuration ----

const LOAD_ERRORS = [
  "", "not a toolgate bundle (bad magic)", "unsupported bundle format version", "truncated bundle",
  "malformed section table", "content hash mismatch (corrupt bundle)", "invalid regex automaton", "malformed table",
];

/** Make r's bundle the engine's active bundle (a no-op unless several plugins share this VM). */
function activate(r: Root): i32 {
  if (activeRoot == changetype<usize>(r)) return 0;
  memory.copy(tg_input(<u32>r.bundleLen), r.bundle, r.bundleLen);
  const status = tg_load(<u32>r.bundleLen);
  activeRoot = status == 0 ? changetype<usize>(r) : 0;
  return status;
}

/** An invalid configuration or bundle returns false: Envoy then refuses the filter instead of running without policy. */
export function proxy_on_configure(rootId: u32, size: usize): bool {
  arenaReset();
  defineMetrics();
  const r = rootOf(rootId);
  if (r === null) return false;
  rootClear(r);
  if (activeRoot == changetype<usize>(r)) activeRoot = 0;
  if (!host.getBuffer(abi.BUFFER_PLUGIN_CONFIGURATION, size)) return refuseConfig(r, "the plugin configuration is missing");
  const ok = parseConfig(r, host.gotPtr, host.gotLen);
  if (host.gotPtr != 0) heap.free(host.gotPtr);
  if (!ok) return refuseConfig(r, "");
  const status = activate(r);
  if (status != 0) return refuseConfig(r, status > 0 && status < LOAD_ERRORS.length ? LOAD_ERRORS[status] : "bundle refused");
  r.configured = true;
  const hex = bufNew(64);
  bufHex(hex, tg_policy_hash(), 32);
  r.hashHex = heapCopy(hex.ptr, 64);
  r.policyFlags = tg_policy_flags();
  r.rateRules = limitedRules();
  r.maxMessage = bundle.cfg(8);
  if (r.rateRules > 0) initBuckets(r);
  const note = bufNew(64);
  bufAscii(note, "policy loaded: ");
  bufU64(note, bundle.ruleCount);
  bufAscii(note, " tool rules, ");
  bufU64(note, r.rateRules);
  bufAscii(note, " rate-limited");
  eventRecord(r, null, abi.LOG_INFO, "POLICY_LOADED", note, host.nowNanos());
  countLoad(true);
  recordMemory();
  return true;
}

function refuseConfig(r: Root, why: string): bool {
  const b = bufNew(256);
  bufAscii(b, "toolgate: configuration refused: ");
  if (why.length > 0) bufAscii(b, why);
  else if (changetype<usize>(problem) != 0) bufBytes(b, problem.ptr, problem.len);
  host.log(abi.LOG_ERROR, b);
  rootClear(r);
  countLoad(false);
  return false;
}

// ---- Answers the filter gives itself ----

function reply(x: Exchange, status: u32, body: usize, bodyLen: usize): void {
  host.headersBegin();
  if (bodyLen > 0) host.headerAddAscii("content-type", "application/json");
  host.sendLocal(status, "toolgate_policy", body, bodyLen, host.headersEnd());
  x.phase = PHASE_ANSWERED;
}

/**
 * Refuse a request before the engine saw it, with the engine's -32600 envelope (id null, the policy hash) and an
 * audit record. The reason is `why`, followed by `amount` when it is not negative.
 */
function refuseRequest(x: Exchange, status: u32, why: string, amount: i64 = -1, unit: string = ""): u32 {
  const r = x.root;
  if (r.configured) activate(r); // first: it may reset the arena
  const reason = bufNew(128);
  bufAscii(reason, why);
  if (amount >= 0) {
    bufU64(reason, <u64>amount);
    bufAscii(reason, unit);
  }
  renderError(E_INVALID_REQUEST, 0, 0, SUBJECT_NONE, 0, 0, reason, null, 0);
  reply(x, status, spanPtr(R_RESPONSE), spanLen(R_RESPONSE));
  eventRecord(r, x, abi.LOG_WARN, "REQUEST_REFUSED", reason, host.nowNanos());
  countRefused();
  return abi.PAUSE;
}

/** The -32603 error that replaces a response the filter could not scan: it is never passed on unscanned. */
function unscannable(x: Exchange, why: string): Buf {
  const b = bufNew(256);
  bufAscii(b, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"Internal error\",\"data\":{\"reason\":\"");
  bufAscii(b, why);
  bufAscii(b, "\"");
  if (x.root.hashHex != 0) {
    bufAscii(b, ",\"policy_hash\":\"");
    bufBytes(b, x.root.hashHex, 64);
    bufAscii(b, "\"");
  }
  bufAscii(b, "}}}");
  const reason = bufNew(64);
  bufAscii(reason, why);
  eventRecord(x.root, x, abi.LOG_WARN, "RESPONSE_REFUSED", reason, host.nowNanos());
  countRefused();
  return b;
}

/** Refuse a response while its headers are still here: a local 502 reply. */
function refuseResponse(x: Exchange, why: string): u32 {
  const b = unscannable(x, why);
  reply(x, 502, b.ptr, b.len);
  x.body = BODY_NONE;
  return abi.PAUSE;
}

/** Refuse a response whose headers have gone on: its body becomes the error, the rest is dropped. */
function replaceBody(x: Exchange, size: usize, why: string): u32 {
  const b = unscannable(x, why);
  host.setBuffer(abi.BUFFER_RESPONSE_BODY, size, b.ptr, b.len);
  x.body = BODY_DISCARD;
  return abi.CONTINUE;
}

/** The largest body buffered: max_body_bytes, else 4 MiB or the policy's maximum message size if smaller. */
function cap(r: Root): usize {
  if (r.maxBody != 0) return r.maxBody;
  return r.maxMessage != 0 && r.maxMessage < DEFAULT_CAP ? r.maxMessage : DEFAULT_CAP;
}

function tooLarge(x: Exchange): u32 {
  return refuseRequest(x, 413, "message exceeds the size limit of ", <i64>cap(x.root), " bytes");
}

// ---- Requests ----

function spanIs(p: usize, n: usize, value: string): bool {
  if (n != <usize>value.length) return false;
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) != <u8>value.charCodeAt(<i32>i)) return false;
  return true;
}

/** The decimal value of [p, p+n), or -1. */
function decimal(p: usize, n: usize): i64 {
  let v: i64 = n == 0 ? -1 : 0;
  for (let i: usize = 0; i < n && v >= 0; i++) {
    const c = <i64>load<u8>(p + i) - 48;
    v = c < 0 || c > 9 || v > 0xffffffffff ? -1 : v * 10 + c;
  }
  return v;
}

const METHOD_OTHER: u32 = 0;
const METHOD_POST: u32 = 1;
const METHOD_GET_OR_DELETE: u32 = 2;

function requestHeaders(ctx: u32, _headers: u32, endOfStream: bool): u32 {
  arenaReset();
  const x = exchangeOf(ctx);
  if (x === null) return abi.CONTINUE;
  const r = x.root;
  // One read of all the headers this needs.
  let method = METHOD_OTHER;
  let length: i64 = -1;
  let compressible = false;
  if (host.getHeaders(abi.MAP_REQUEST_HEADERS)) {
    const map = host.gotPtr;
    const mapLen = host.gotLen;
    if (host.findHeader(map, mapLen, "x-request-id")) {
      x.requestIdLen = host.foundLen < 128 ? host.foundLen : 128;
      x.requestId = heapCopy(host.foundPtr, x.requestIdLen);
    }
    if (host.findHeader(map, mapLen, ":method")) {
      if (spanIs(host.foundPtr, host.foundLen, "POST")) method = METHOD_POST;
      else if (spanIs(host.foundPtr, host.foundLen, "GET") || spanIs(host.foundPtr, host.foundLen, "DELETE")) method = METHOD_GET_OR_DELETE;
    }
    if (host.findHeader(map, mapLen, "content-length")) length = decimal(host.foundPtr, host.foundLen);
    compressible = host.findHeader(map, mapLen, "accept-encoding");
    if (map != 0) heap.free(map);
  }
  if (!r.configured) return refuseRequest(x, 503, "no policy loaded");
  // Responses must come back uncompressed to be scanned.
  if (compressible && method != METHOD_OTHER) host.removeHeader(abi.MAP_REQUEST_HEADERS, "accept-encoding");
  if (method == METHOD_POST) {
    if (length > <i64>cap(r)) return tooLarge(x);
    if (endOfStream) return decide(x, 0);
    // Headers cannot be held while the body is read (the host turns a pause here into a pause of the whole
    // request), so they go on now; the body is held until it is decided, and a refusal resets the upstream
    // request before any byte of the body reached it.
    x.phase = PHASE_BUFFERING;
    return abi.CONTINUE;
  }
  if (method == METHOD_GET_OR_DELETE) {
    // The server's event stream (GET) and the end of a session (DELETE): nothing to decide, the response is scanned.
    x.phase = PHASE_FORWARDED;
    return abi.CONTINUE;
  }
  if (r.nonMcp == NON_MCP_REFUSE) return refuseRequest(x, 405, "not an MCP request (non_mcp is \"refuse\")");
  x.phase = PHASE_PASSTHROUGH;
  return abi.CONTINUE;
}

function requestBody(ctx: u32, size: usize, endOfStream: bool): u32 {
  arenaReset();
  const x = exchangeOf(ctx);
  if (x === null || x.phase != PHASE_BUFFERING) return x !== null && x.phase == PHASE_APPROVAL ? abi.PAUSE : abi.CONTINUE;
  if (size > cap(x.root)) return tooLarge(x);
  if (!endOfStream) return abi.PAUSE;
  return decide(x, size);
}

export function proxy_on_request_trailers(ctx: u32, _trailers: u32): u32 {
  arenaReset();
  const x = exchangeOf(ctx);
  if (x === null || x.phase != PHASE_BUFFERING) return abi.CONTINUE;
  // The body ended with trailers: take all of it (reads are clamped to what was buffered).
  return decide(x, cap(x.root) + 1);
}

/** Evaluate with the token buckets of all worker threads (buckets.ts); the result record holds the verdict. */
function evaluateShared(r: Root, n: u32, nowMs: f64): void {
  if (r.rateRules == 0) {
    tg_evaluate(n, nowMs);
    return;
  }
  markUntouched();
  tg_evaluate(n, nowMs);
  const rule = touchedRule();
  if (rule < 0) return;
  for (let i = 0; i < CAS_ATTEMPTS; i++) {
    loadBucket(r, <u32>rule);
    tg_evaluate(n, nowMs);
    if (storeBucket(<u32>rule)) return;
  }
  // The bucket kept changing under us: fail closed, as the engine answers an empty bucket.
  emptyBucket(<u32>rule, nowMs);
  tg_evaluate(n, nowMs);
}

function decide(x: Exchange, size: usize): u32 {
  const r = x.root;
  if (activate(r) != 0) return refuseRequest(x, 500, "policy engine failure");
  let n: u32 = 0;
  if (size > 0 && host.getBuffer(abi.BUFFER_REQUEST_BODY, size)) {
    if (host.gotLen > cap(r)) {
      heap.free(host.gotPtr);
      return tooLarge(x);
    }
    n = <u32>host.gotLen;
    memory.copy(tg_input(n), host.gotPtr, n);
    heap.free(host.gotPtr);
  }
  const t0 = host.nowNanos();
  evaluateShared(r, n, <f64>t0 / 1e6);
  const t1 = host.nowNanos();
  const verdict = getU32(R_VERDICT);
  const violation = getU32(R_VIOLATION) != 0;
  countDecision(getU32(R_DECISION), violation, violation && verdict == V_FORWARD, t1 - t0);
  let record: Buf | null = null;
  if (needsRecord()) record = decisionRecord(r, x, t1);
  if (verdict == V_FORWARD) {
    x.phase = PHASE_FORWARDED;
    x.toolsList = (getU32(R_FLAGS) & F_TOOLS_LIST) != 0;
    return abi.CONTINUE;
  }
  const kind = getU32(R_KIND);
  if (verdict == V_REPLY) {
    // A JSON-RPC error answers a request like any result (HTTP 200); a message that is not a request gets 400.
    reply(x, kind == K_REQUEST ? 200 : 400, spanPtr(R_RESPONSE), spanLen(R_RESPONSE));
    return abi.PAUSE;
  }
  if (verdict == V_DROP) {
    // A refused notification gets no JSON-RPC answer; HTTP still says it was not accepted.
    reply(x, kind == K_NOTIFICATION ? 403 : 400, 0, 0);
    return abi.PAUSE;
  }
  if (verdict == V_ASK) return ask(x, n, t1, record!);
  return refuseRequest(x, 500, "policy engine failure");
}

// ---- action: ask, through the approval service ----

function copySpan(field: usize): usize {
  return spanLen(field) == 0 ? 0 : heapCopy(spanPtr(field), spanLen(field));
}

/**
 * An asked call waits for the approval service (POST of the ASK audit record to the configured cluster):
 * 200 approves, 403 denies (-32004), anything else or no answer in time is a timeout (-32005). Without an
 * approval service nobody can answer, so the call is refused at once with -32005.
 */
function ask(x: Exchange, n: u32, nanos: u64, record: Buf): u32 {
  const r = x.root;
  x.message = heapCopy(tg_input(n), n);
  x.messageLen = n;
  x.askRule = copySpan(R_RULE);
  x.askRuleLen = spanLen(R_RULE);
  x.askReason = copySpan(R_REASON);
  x.askReasonLen = spanLen(R_REASON);
  x.askTool = copySpan(R_TOOL);
  x.askToolLen = spanLen(R_TOOL);
  x.askId = copySpan(R_ID);
  x.askIdLen = spanLen(R_ID);
  x.askViolation = getU32(R_VIOLATION) != 0;
  x.askStart = nanos;
  if (r.approvalCluster == 0) return answerAsk(x, E_USER_TIMEOUT);
  host.headersBegin();
  host.headerAdd(host.key(":method"), host.key("POST"));
  host.headerAdd(host.key(":path"), host.bufOf(r.approvalPath, r.approvalPathLen));
  host.headerAdd(host.key(":authority"), host.bufOf(r.approvalAuthority, r.approvalAuthorityLen));
  host.headerAdd(host.key("content-type"), host.key("application/json"));
  if (x.requestId != 0) host.headerAdd(host.key("x-request-id"), host.bufOf(x.requestId, x.requestIdLen));
  const headers = host.headersEnd();
  const token = host.httpCall(host.bufOf(r.approvalCluster, r.approvalClusterLen), headers, record, r.approvalTimeoutMs);
  if (token == 0) {
    host.logAscii(abi.LOG_WARN, "toolgate: the approval service could not be called");
    return answerAsk(x, E_USER_TIMEOUT);
  }
  x.askToken = token;
  idMapPut(calls, token, x.id);
  x.phase = PHASE_APPROVAL;
  return abi.PAUSE;
}

/** Refuse an asked call with the engine's -32004 or -32005 answer. */
function answerAsk(x: Exchange, code: i32): u32 {
  const r = x.root;
  activate(r);
  memory.copy(tg_input(<u32>x.messageLen), x.message, x.messageLen);
  tg_deny(<u32>x.messageLen, code);
  const now = host.nowNanos();
  approvalRecord(r, x, code == E_USER_DENIED ? "denied" : "timeout", (now - x.askStart) / 1000000, now);
  countApproval(code == E_USER_DENIED ? 1 : 2);
  reply(x, 200, spanPtr(R_RESPONSE), spanLen(R_RESPONSE));
  exchangeFreeAsk(x);
  return abi.PAUSE;
}

export function proxy_on_http_call_response(_ctx: u32, token: u32, headers: u32, _body: usize, _trailers: u32): void {
  arenaReset();
  const id = <u32>idMapGet(calls, token);
  if (id == 0) return;
  idMapRemove(calls, token);
  const x = exchangeOf(id);
  if (x === null || x.phase != PHASE_APPROVAL) return;
  x.askToken = 0;
  abi.proxy_set_effective_context(x.id);
  let status: u32 = 0;
  if (headers > 0 && host.getHeader(abi.MAP_HTTP_CALL_RESPONSE_HEADERS, ":status")) {
    for (let i: usize = 0; i < host.gotLen; i++) status = status * 10 + (<u32>load<u8>(host.gotPtr + i) - 48);
    heap.free(host.gotPtr);
  }
  if (status == 200) {
    const now = host.nowNanos();
    approvalRecord(x.root, x, "approved", (now - x.askStart) / 1000000, now);
    countApproval(0);
    exchangeFreeAsk(x);
    x.phase = PHASE_FORWARDED;
    abi.proxy_continue_stream(abi.STREAM_HTTP_REQUEST);
    return;
  }
  answerAsk(x, status == 403 ? E_USER_DENIED : E_USER_TIMEOUT);
}

// ---- Responses ----

/** Does [p, p+n) start with the lower-case ASCII prefix (case-insensitively)? */
function startsWith(p: usize, n: usize, prefix: string): bool {
  const k = <usize>prefix.length;
  if (n < k) return false;
  for (let i: usize = 0; i < k; i++) if ((load<u8>(p + i) | 0x20) != <u8>prefix.charCodeAt(<i32>i)) return false;
  return true;
}

function responseHeaders(ctx: u32, _headers: u32, endOfStream: bool): u32 {
  arenaReset();
  const x = exchangeOf(ctx);
  if (x === null || x.phase != PHASE_FORWARDED || endOfStream) return abi.CONTINUE;
  const r = x.root;
  if ((r.policyFlags & CF_DLP) == 0 && !x.toolsList) return abi.CONTINUE; // nothing could change
  let json = false;
  let sse = false;
  let encoded = false;
  if (host.getHeaders(abi.MAP_RESPONSE_HEADERS)) {
    const map = host.gotPtr;
    const mapLen = host.gotLen;
    if (host.findHeader(map, mapLen, "content-type")) {
      json = startsWith(host.foundPtr, host.foundLen, "application/json");
      sse = startsWith(host.foundPtr, host.foundLen, "text/event-stream");
    }
    if (host.findHeader(map, mapLen, "content-encoding")) encoded = !spanIs(host.foundPtr, host.foundLen, "identity");
    if (map != 0) heap.free(map);
  }
  if (!json && !sse) return abi.CONTINUE;
  if (encoded) return refuseResponse(x, "compressed response: it cannot be scanned");
  // The headers go on before the body is scanned (a pause here would stop the body too), and the scan may
  // change the body's length: so the length goes (HTTP/1.1 then uses chunked encoding).
  host.removeHeader(abi.MAP_RESPONSE_HEADERS, "content-length");
  if (json) {
    x.body = BODY_JSON;
    return abi.CONTINUE;
  }
  activate(r);
  x.body = BODY_SSE;
  x.sse = tg_stream_open(SSE_MODE, x.toolsList ? F_TOOLS_LIST : 0);
  return abi.CONTINUE;
}

function redactions(x: Exchange): void {
  const events = spanPtr(R_EVENTS);
  const count = <u32>spanLen(R_EVENTS);
  if (count == 0) return;
  let matches: u32 = 0;
  for (let i: u32 = 0; i < count; i++) matches += load<u32>(events + <usize>i * 8 + 4);
  countRedactions(matches);
  dlpRecords(x.root, x, events, count, host.nowNanos());
}

function scanJson(x: Exchange, size: usize): void {
  x.body = BODY_NONE;
  if (activate(x.root) != 0 || !host.getBuffer(abi.BUFFER_RESPONSE_BODY, size)) {
    replaceBody(x, size, "the response could not be scanned");
    return;
  }
  const n = <u32>host.gotLen;
  const body = tg_input(n);
  memory.copy(body, host.gotPtr, n);
  heap.free(host.gotPtr);
  tg_scan(n, x.toolsList ? F_TOOLS_LIST : 0);
  redactions(x);
  if (getU32(R_VERDICT) == V_REWRITE) host.setBuffer(abi.BUFFER_RESPONSE_BODY, n, spanPtr(R_RESPONSE), spanLen(R_RESPONSE));
  recordMemory();
}

/** Pass on what the engine stream releases for this chunk; at the end, what it still holds. */
function scanEvents(x: Exchange, size: usize, end: bool): void {
  activate(x.root);
  let out: usize = 0;
  if (size > 0 && host.getBuffer(abi.BUFFER_RESPONSE_BODY, size)) {
    const n = <u32>host.gotLen;
    memory.copy(tg_input(n), host.gotPtr, n);
    heap.free(host.gotPtr);
    tg_stream_write(x.sse, n);
    redactions(x);
    out = spanLen(R_RESPONSE);
    host.setBuffer(abi.BUFFER_RESPONSE_BODY, size, spanPtr(R_RESPONSE), out);
  }
  recordMemory();
  if (!end) return;
  tg_stream_end(x.sse);
  x.sse = 0;
  x.body = BODY_NONE;
  redactions(x);
  if (spanLen(R_RESPONSE) > 0) {
    // Append after what this chunk already carries.
    abi.proxy_set_buffer_bytes(abi.BUFFER_RESPONSE_BODY, out == 0 ? 0 : out, 0, spanPtr(R_RESPONSE), spanLen(R_RESPONSE));
  }
}

function responseBody(ctx: u32, size: usize, endOfStream: bool): u32 {
  arenaReset();
  const x = exchangeOf(ctx);
  if (x === null || x.body == BODY_NONE) return abi.CONTINUE;
  if (x.body == BODY_DISCARD) {
    host.setBuffer(abi.BUFFER_RESPONSE_BODY, size, 0, 0);
    return abi.CONTINUE;
  }
  if (x.body == BODY_JSON) {
    if (size > cap(x.root)) return replaceBody(x, size, "response larger than max_body_bytes: it cannot be scanned");
    if (!endOfStream) return abi.PAUSE;
    scanJson(x, size);
    return abi.CONTINUE;
  }
  scanEvents(x, size, endOfStream);
  return abi.CONTINUE;
}

export function proxy_on_response_trailers(ctx: u32, _trailers: u32): u32 {
  arenaReset();
  const x = exchangeOf(ctx);
  if (x === null || x.body == BODY_NONE || x.body == BODY_DISCARD) return abi.CONTINUE;
  if (x.body == BODY_JSON) scanJson(x, cap(x.root) + 1);
  else scanEvents(x, 0, true);
  return abi.CONTINUE;
}

// ---- Time spent in the filter (toolgate_filter_ns) ----

function busy(ctx: u32, t0: u64): void {
  const x = exchangeOf(ctx);
  if (x !== null) x.busyNs += host.nowNanos() - t0;
}

// ---- Context end ----

export function proxy_on_done(_ctx: u32): bool {
  return true;
}

export function proxy_on_delete(ctx: u32): void {
  const p = idMapGet(contexts, ctx);
  if (p == 0) return;
  idMapRemove(contexts, ctx);
  if (load<u32>(p) == KIND_STREAM) {
    const x = changetype<Exchange>(p);
    recordFilterTime(x.busyNs);
    if (x.sse != 0) tg_stream_end(x.sse); // frees the stream's carry
    if (x.askToken != 0) idMapRemove(calls, x.askToken);
    exchangeFree(x);
    return;
  }
  if (activeRoot == p) activeRoot = 0;
  rootClear(changetype<Root>(p));
  heap.free(p);
}

// ---- The hot callbacks, with the time spent in them accounted ----

export function proxy_on_request_headers(ctx: u32, headers: u32, endOfStream: bool): u32 {
  const t0 = host.nowNanos();
  const action = requestHeaders(ctx, headers, endOfStream);
  busy(ctx, t0);
  return action;
}

export function proxy_on_request_body(ctx: u32, size: usize, endOfStream: bool): u32 {
  const t0 = host.nowNanos();
  const action = requestBody(ctx, size, endOfStream);
  busy(ctx, t0);
  return action;
}

export function proxy_on_response_headers(ctx: u32, headers: u32, endOfStream: bool): u32 {
  const t0 = host.nowNanos();
  const action = responseHeaders(ctx, headers, endOfStream);
  busy(ctx, t0);
  return action;
}

export function proxy_on_response_body(ctx: u32, size: usize, endOfStream: bool): u32 {
  const t0 = host.nowNanos();
  const action = responseBody(ctx, size, endOfStream);
  busy(ctx, t0);
  return action;
}
