// toolgate's typings for the subset of the proxy-wasm ABI v0.2.1 that the filter uses (host functions imported
// from "env"; constants from the specification's Types section). Every host function returns a status; values
// come back through pointers to memory the host fills (buffers it allocates with proxy_on_memory_allocate).

// proxy_status_t
export const OK: u32 = 0;
export const NOT_FOUND: u32 = 1;
export const BAD_ARGUMENT: u32 = 2;
export const CAS_MISMATCH: u32 = 8;

// proxy_action_t
export const CONTINUE: u32 = 0;
export const PAUSE: u32 = 1;

// proxy_log_level_t
export const LOG_DEBUG: u32 = 1;
export const LOG_INFO: u32 = 2;
export const LOG_WARN: u32 = 3;
export const LOG_ERROR: u32 = 4;

// proxy_buffer_type_t
export const BUFFER_REQUEST_BODY: u32 = 0;
export const BUFFER_RESPONSE_BODY: u32 = 1;
export const BUFFER_HTTP_CALL_RESPONSE_BODY: u32 = 4;
export const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;

// proxy_map_type_t
export const MAP_REQUEST_HEADERS: u32 = 0;
export const MAP_RESPONSE_HEADERS: u32 = 2;
export const MAP_HTTP_CALL_RESPONSE_HEADERS: u32 = 6;

// proxy_stream_type_t
export const STREAM_HTTP_REQUEST: u32 = 0;

// proxy_metric_type_t
export const METRIC_COUNTER: u32 = 0;
export const METRIC_GAUGE: u32 = 1;
export const METRIC_HISTOGRAM: u32 = 2;

@external("env", "proxy_log")
export declare function proxy_log(level: u32, ptr: usize, len: usize): u32;

@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(retTime: usize): u32;

@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(buffer: u32, start: usize, max: usize, retPtr: usize, retLen: usize): u32;

@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(buffer: u32, start: usize, size: usize, ptr: usize, len: usize): u32;

@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map: u32, keyPtr: usize, keyLen: usize, retPtr: usize, retLen: usize): u32;

@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map: u32, retPtr: usize, retLen: usize): u32;

@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map: u32, keyPtr: usize, keyLen: usize): u32;

@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(
  status: u32, detailsPtr: usize, detailsLen: usize, bodyPtr: usize, bodyLen: usize, headersPtr: usize, headersLen: usize,
  grpcStatus: i32,
): u32;

@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(stream: u32): u32;

@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(context: u32): u32;

@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(keyPtr: usize, keyLen: usize, retPtr: usize, retLen: usize, retCas: usize): u32;

@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(keyPtr: usize, keyLen: usize, valPtr: usize, valLen: usize, cas: u32): u32;

@external("env", "proxy_define_metric")
export declare function proxy_define_metric(type: u32, namePtr: usize, nameLen: usize, retId: usize): u32;

@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(id: u32, delta: i64): u32;

@external("env", "proxy_record_metric")
export declare function proxy_record_metric(id: u32, value: u64): u32;

@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstreamPtr: usize, upstreamLen: usize, headersPtr: usize, headersLen: usize, bodyPtr: usize, bodyLen: usize,
  trailersPtr: usize, trailersLen: usize, timeoutMs: u32, retToken: usize,
): u32;
