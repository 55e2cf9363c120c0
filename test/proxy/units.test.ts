// The proxy's small parts on their own: command-line splitting, line framing, sizes and durations, the
// Prometheus registry, audit records, aip-go's flag spellings.
import { describe, expect, it } from "vitest";
import { splitCommandLine, joinCommandLine, CommandLineError } from "../../hosts/node/proxy/command-line.ts";
import { LineReader } from "../../hosts/node/proxy/lines.ts";
import { parseSize } from "../../hosts/node/proxy/audit-file.ts";
import { parseListenAddress } from "../../hosts/node/proxy/metrics-server.ts";
import { parseDuration, proxyCommand } from "../../hosts/node/commands/proxy.ts";
import { Counter, Histogram, Registry, policyMetrics } from "../../hosts/kit/metrics.ts";
import { approvalRecord, auditDecision, auditLine, decisionRecord as buildRecord, dlpRecords, needsRecord, type AuditOptions, type AuditPolicy, type AuditRecord } from "../../hosts/kit/audit.ts";
import type { Verdict } from "../../hosts/kit/engine.ts";

describe("--target splitting", () => {
  it("splits like sh, without expanding anything", () => {
    expect(splitCommandLine("npx -y @modelcontextprotocol/server-filesystem /data")).toEqual(["npx", "-y", "@modelcontextprotocol/server-filesystem", "/data"]);
    expect(splitCommandLine(`server --root '/My Documents' "a \\"b\\" c" d\\ e $HOME`)).toEqual(["server", "--root", "/My Documents", 'a "b" c', "d e", "$HOME"]);
    expect(splitCommandLine(`  a''b   "" ''  `)).toEqual(["ab", "", ""]);
    expect(splitCommandLine(`"it's" 'say "hi"' "back\\\\slash" 'no\\escape'`)).toEqual(["it's", 'say "hi"', "back\\slash", "no\\escape"]);
  });

  it("refuses unterminated quotes", () => {
    expect(() => splitCommandLine(`server 'open`)).toThrow(CommandLineError);
    expect(() => splitCommandLine(`server "open`)).toThrow(CommandLineError);
    expect(() => splitCommandLine(`server \\`)).toThrow(CommandLineError);
  });

  it("joins argv back into a line that splits to the same argv", () => {
    const argv = ["node", "/a b/server.js", "it's", "", "--x=$Y", "plain-arg_1.2"];
    expect(splitCommandLine(joinCommandLine(argv))).toEqual(argv);
    expect(joinCommandLine(["npx", "-y", "pkg"])).toBe("npx -y pkg");
  });
});

describe("line framing", () => {
  const collect = (max: number) => {
    const lines: string[] = [];
    const oversized: number[] = [];
    const r = new LineReader(max, { line: (b) => lines.push(b.toString()), oversized: (p) => oversized.push(p.length) });
    return { r, lines, oversized };
  };

  it("passes complete lines with their newline, across chunk boundaries", () => {
    const { r, lines } = collect(100);
    r.push(Buffer.from('{"a":1}\n{"b"'));
    r.push(Buffer.from(':2}\r\n\n{"c":'));
    r.push(Buffer.from("3}"));
    expect(lines).toEqual(['{"a":1}\n', '{"b":2}\r\n', "\n"]);
    r.end();
    expect(lines[3]).toBe('{"c":3}'); // the last line, without its newline, still counts
  });

  it("bounds memory: an over-long line becomes its first max+1 bytes and the rest is skipped", () => {
    const { r, lines, oversized } = collect(10);
    r.push(Buffer.from("0123456789\n")); // exactly the limit: fine
    r.push(Buffer.from("0123456789ABCDEF"));
    r.push(Buffer.from("GHIJ\nnext\n"));
    expect(lines).toEqual(["0123456789\n", "next\n"]);
    expect(oversized).toEqual([11]);
    const one = collect(4);
    one.r.push(Buffer.from("toolong\nok\n"));
    expect(one.oversized).toEqual([5]);
    expect(one.lines).toEqual(["ok\n"]);
  });

  it("keeps every byte of many lines in order", () => {
    const { r, lines } = collect(1 << 20);
    const want = Array.from({ length: 5000 }, (_, i) => `{"i":${i},"pad":"${"x".repeat(i % 97)}"}\n`);
    const all = Buffer.from(want.join(""));
    for (let off = 0; off < all.length; off += 777) r.push(all.subarray(off, off + 777));
    expect(lines).toEqual(want);
  });
});

describe("sizes, durations, addresses", () => {
  it("parses them", () => {
    expect(parseSize("10M")).toBe(10 << 20);
    expect(parseSize("512k")).toBe(512 << 10);
    expect(parseSize("1GiB")).toBe(1 << 30);
    expect(parseSize("1234")).toBe(1234);
    expect(() => parseSize("ten")).toThrow();
    expect(parseDuration("60s")).toBe(60_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2")).toBe(2000);
    expect(() => parseDuration("soon")).toThrow();
    expect(parseListenAddress("127.0.0.1:9091")).toEqual({ host: "127.0.0.1", port: 9091 });
    expect(parseListenAddress(":9091")).toEqual({ host: undefined, port: 9091 });
    expect(parseListenAddress("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(() => parseListenAddress("9091")).toThrow();
  });
});

describe("aip-go's flag spellings", () => {
  it("accepts -flag, --flag=value and --bool=true, leaving the server's arguments alone", () => {
    expect(proxyCommand.normalizeArgs!(["-policy", "a.yaml", "-target=npx x", "--verbose=true", "-generate-cursor-config=false", "--", "-policy", "--verbose=false"]))
      .toEqual(["--policy", "a.yaml", "--target=npx x", "--verbose", "--", "-policy", "--verbose=false"]);
  });
});

describe("Prometheus registry", () => {
  it("renders counters with labels and cumulative histograms", () => {
    const r = new Registry();
    const c = r.add(new Counter("x_total", "things", ["kind"]));
    c.inc({ kind: 'a"b' });
    c.inc({ kind: 'a"b' }, 2);
    c.inc({ kind: "c" });
    const h = r.add(new Histogram("d_seconds", "time", [0.1, 1]));
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    const text = r.render();
    expect(text).toContain("# TYPE x_total counter");
    expect(text).toContain('x_total{kind="a\\"b"} 3');
    expect(text).toContain('x_total{kind="c"} 1');
    expect(text).toContain('d_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('d_seconds_bucket{le="1"} 2');
    expect(text).toContain('d_seconds_bucket{le="+Inf"} 3');
    expect(text).toContain("d_seconds_count 3");
    expect(() => r.add(new Counter("x_total", "again"))).toThrow();
  });

  it("has the AIP guide's metric names", () => {
    const text = policyMetrics().registry.render();
    for (const name of ["aip_requests_total", "aip_policy_decisions", "aip_policy_violations_total", "aip_dlp_redactions_total", "aip_request_duration_seconds", "aip_policy_load_errors_total"]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});

/** A record as it reads in the file. */
const decisionRecord = (v: Verdict, p: AuditPolicy, o: AuditOptions): AuditRecord => JSON.parse(auditLine(buildRecord(v, p, o)));

describe("audit records", () => {
  const base: Verdict = {
    verdict: "forward", decision: "ALLOW", errorCode: null, violation: false, monitor: false, kind: "request", toolsCall: true, toolsList: false,
    reason: "", rule: "", response: null, method: "tools/call", tool: "read_file", id: "7", failedArg: null, protectedPath: null,
    args: '{"path":"/w/a","token":"s3cr3t"}', retryAfterMs: null,
  };
  const policy = { policyHash: "ab".repeat(32), mode: "enforce" as const, bundleVersion: "1.0.0" };
  const opts: AuditOptions = { args: "full", now: () => new Date("2026-01-20T10:30:45.123Z") };

  it("writes aip-go's fields in aip-go's order, plus the policy hash", () => {
    const r = decisionRecord(base, policy, opts);
    expect(Object.keys(r)).toEqual(["time", "level", "msg", "timestamp", "direction", "decision", "policy_mode", "violation", "method", "tool", "args", "id", "policy_hash", "bundle_version"]);
    expect(r).toMatchObject({ timestamp: "2026-01-20T10:30:45.123Z", direction: "upstream", decision: "ALLOW", violation: false, args: { path: "/w/a", token: "s3cr3t" }, id: 7 });
  });

  it("labels monitor, protected-path, method and invalid records", () => {
    expect(auditDecision({ ...base, violation: true, monitor: true })).toBe("ALLOW_MONITOR");
    const pp = decisionRecord({ ...base, verdict: "reply", decision: "PROTECTED_PATH", errorCode: -32007, violation: true, protectedPath: "/home/a/.ssh", rule: "protected_paths" }, policy, opts);
    expect(pp).toMatchObject({ decision: "BLOCK", event: "PROTECTED_PATH_BLOCKED", protected_path: "/home/a/.ssh", error_code: -32007, msg: "protected_path_block" });
    const method = decisionRecord({ ...base, toolsCall: false, tool: null, args: null, method: "resources/read", verdict: "reply", decision: "BLOCK", errorCode: -32006, violation: true }, policy, opts);
    expect(method).toMatchObject({ event: "METHOD_BLOCKED", decision: "BLOCK", method: "resources/read" });
    expect(method).not.toHaveProperty("args");
    const rl = decisionRecord({ ...base, verdict: "reply", decision: "RATE_LIMITED", errorCode: -32002, violation: true, retryAfterMs: 1500 }, policy, opts);
    expect(rl).toMatchObject({ decision: "RATE_LIMITED", retry_after_ms: 1500 });
    expect(needsRecord({ ...base, toolsCall: false })).toBe(false);
    expect(needsRecord({ ...base, kind: "invalid", toolsCall: false, verdict: "drop", reason: "" })).toBe(false);
    expect(needsRecord({ ...base, kind: "invalid", toolsCall: false, verdict: "reply", reason: "message is not valid JSON" })).toBe(true);
  });

  it("names the regex of a failed argument (never sent to the client) and hashes or omits arguments on request", () => {
    const failed = { ...base, verdict: "reply" as const, decision: "BLOCK" as const, errorCode: -32001, violation: true, failedArg: "path", rule: "tool_rules[0].allow_args.path" };
    expect(decisionRecord(failed, policy, { ...opts, ruleSource: () => "^/w/" })).toMatchObject({ failed_arg: "path", failed_rule: "^/w/", rule: "tool_rules[0].allow_args.path" });
    const hashed = decisionRecord(base, policy, { ...opts, args: "hash", digest: (t) => `h(${t})` });
    expect(hashed.args).toEqual({ path: 'sha256:h("/w/a")', token: 'sha256:h("s3cr3t")' });
    expect(decisionRecord(base, policy, { ...opts, args: "none" })).not.toHaveProperty("args");
    expect(decisionRecord(base, policy, { ...opts, redactArgs: (j) => j.replace("s3cr3t", "[REDACTED:T]") }).args).toEqual({ path: "/w/a", token: "[REDACTED:T]" });
    // Arguments are spliced in as the engine gives them, unless a line break would split the record.
    expect(auditLine(buildRecord({ ...base, args: '{"a": 1,  "b":"\\u0041"}' }, policy, opts))).toContain('"args":{"a": 1,  "b":"\\u0041"}');
    expect(auditLine(buildRecord({ ...base, args: '{\n"a": 1}' }, policy, opts))).toContain('"args":{"a":1}');
  });

  it("records approvals and DLP events", () => {
    const asked = { ...base, verdict: "ask" as const, decision: "ASK" as const, rule: "tool_rules[1]", reason: "Tool requires user approval (action: ask)" };
    const ok = JSON.parse(auditLine(approvalRecord(asked, "approved", "elicitation", 1234.4, null, policy, opts)));
    expect(ok).toMatchObject({ event: "APPROVAL", decision: "ALLOW", violation: false, approval: "approved", approval_via: "elicitation", approval_ms: 1234 });
    const denial = { ...asked, verdict: "reply" as const, decision: "BLOCK" as const, errorCode: -32005, violation: true, rule: "ask", reason: "User did not respond" };
    expect(approvalRecord(asked, "timeout", "none", 60000, denial, policy, opts)).toMatchObject({ decision: "BLOCK", error_code: -32005, rule: "ask", approval: "timeout" });
    const [d] = dlpRecords([{ rule: "AWS Key", count: 2 }], policy, opts);
    expect(d).toMatchObject({ direction: "downstream", event: "DLP_TRIGGERED", dlp_rule: "AWS Key", dlp_action: "REDACTED", dlp_match_count: 2, policy_hash: policy.policyHash });
  });
});
