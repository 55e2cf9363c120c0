// Token buckets per tool rule (rate = count / period, burst = count, full at start), with the clock passed
// in by the host in milliseconds. A token is taken only by a call that is let through (or sent to a human),
// so blocked calls cannot drain a tool's budget.

import * as bundle from "./bundle";

@inline
function slot(rule: u32): usize {
  return bundle.rateState + <usize>rule * 16;
}

function refill(rule: u32, now: f64): f64 {
  const r = bundle.rules + <usize>rule * bundle.RULE_SIZE;
  const count = <f64>load<u32>(r, 8);
  const period = <f64>load<u32>(r, 12);
  const s = slot(rule);
  let tokens = load<f64>(s);
  const last = load<f64>(s, 8);
  if (isNaN(tokens)) tokens = count;
  else if (now > last) tokens = min(count, tokens + (now - last) * count / period);
  store<f64>(s, tokens);
  store<f64>(s, max(now, last), 8);
  return tokens;
}

export function hasLimit(rule: u32): bool {
  return load<u32>(bundle.rules + <usize>rule * bundle.RULE_SIZE, 8) > 0;
}

/** 0 if the rule's bucket has a token now, else the milliseconds until it will. */
export function rateWait(rule: u32, now: f64): u32 {
  const tokens = refill(rule, now);
  if (tokens >= 1) return 0;
  const r = bundle.rules + <usize>rule * bundle.RULE_SIZE;
  const perToken = <f64>load<u32>(r, 12) / <f64>load<u32>(r, 8);
  const wait = Math.ceil((1 - tokens) * perToken);
  return wait < 1 ? 1 : <u32>wait;
}

export function rateTake(rule: u32): void {
  const s = slot(rule);
  store<f64>(s, load<f64>(s) - 1);
}
