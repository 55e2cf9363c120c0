// Parsers for the policy's small value languages: rate limits, durations and sizes.

import type { RateLimit } from "./types.ts";
import { suggest } from "./suggest.ts";

// Go's strings.TrimSpace trims Unicode White_Space; JS trim() also trims U+FEFF, which Go keeps.
const GO_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "g");
export const goTrim = (s: string): string => s.replace(GO_TRIM, "");

const PERIODS: Record<string, number> = {
  second: 1000,
  sec: 1000,
  s: 1000,
  minute: 60_000,
  min: 60_000,
  m: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
};

export const MAX_RATE_COUNT = 999_999_999;

/**
 * aip-go's ParseRateLimit, step by step: trim, split on "/" into exactly two parts, the count is a base-10
 * integer (a sign is allowed) greater than 0, the period is trimmed and lower-cased. toolgate also caps the
 * count so it fits the bundle.
 */
export function parseRateLimit(source: string): { value: RateLimit } | { error: { message: string; hint?: string } } {
  const parts = goTrim(source).split("/");
  if (parts.length !== 2) {
    return {
      error: {
        message: `rate limit "${source}" is not "<count>/<period>"`,
        hint: 'write a count, a slash and a period, e.g. "10/minute" or "100/hour"',
      },
    };
  }
  const countText = goTrim(parts[0]);
  if (!/^[+-]?[0-9]+$/.test(countText)) {
    return { error: { message: `rate limit count "${parts[0]}" is not a whole number`, hint: 'e.g. "10/minute"' } };
  }
  const count = Number(countText);
  if (count <= 0) {
    return {
      error: {
        message: "rate limit count must be greater than 0",
        hint: "to forbid a tool, use action: block instead of a zero rate",
      },
    };
  }
  if (count > MAX_RATE_COUNT) {
    return { error: { message: `rate limit count ${countText} is too large (at most ${MAX_RATE_COUNT})`, hint: "use a longer period" } };
  }
  const period = goTrim(parts[1]).toLowerCase();
  const periodMs = PERIODS[period];
  if (periodMs === undefined) {
    const near = suggest(period, Object.keys(PERIODS)) ?? (period.endsWith("s") ? suggest(period.slice(0, -1), Object.keys(PERIODS)) : undefined);
    return {
      error: {
        message: `unknown rate limit period "${goTrim(parts[1])}"`,
        hint: `${near ? `did you mean "${countText}/${near}"? ` : ""}periods: second (sec, s), minute (min, m), hour (hr, h)`,
      },
    };
  }
  return { value: { count, periodMs, source } };
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration that matches DURATION_RE ("1h30m", "500ms", "7d"), else null. */
export function parseDuration(s: string): number | null {
  if (s === "0") return 0;
  let total = 0;
  let rest = s;
  const part = /^([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return s.length > 0 ? total : null;
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** Bytes of a size such as "512KB" or "1MB" (binary units), else null. */
export function parseSize(s: string): number | null {
  const m = /^([1-9][0-9]*)(B|KB|MB|GB)$/.exec(s);
  return m ? Number(m[1]) * SIZE_UNITS[m[2]] : null;
}
