// The engine through the host kit: bundle loading (validation, atomic swap), decisions, scanning, memory.
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../compiler/index.ts";
import { BundleError } from "../hosts/kit/engine.ts";
import { newEngine } from "../hosts/kit/node.ts";

const POLICY = `apiVersion: aip.io/v1alpha1
kind: AgentPolicy
metadata:
  name: engine-test
spec:
  allowed_tools: [read_file, list_directory]
  tool_rules:
    - tool: write_file
      action: ask
    - tool: run
      action: allow
      allow_args:
        cmd: "^(ls|pwd)$"
      rate_limit: "2/minute"
  protected_paths: ["~/.ssh"]
  dlp:
    patterns:
      - name: AWS Key
        regex: "AKIA[0-9A-Z]{16}"
`;

const compiled = () => compilePolicy(POLICY, "engine-test.yaml", { home: "/home/agent", cwd: "/work" });
const call = (id: number, name: string, args: object = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

describe("bundle loading", () => {
  it("activates a valid bundle and reports its hash", () => {
    const c = compiled();
    const e = newEngine();
    e.loadBundle(c.bytes);
    expect(e.policyHash).toBe(c.hash);
    expect(e.policyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses corrupt, truncated, foreign and future bundles and keeps the previous one", () => {
    const c = compiled();
    const e = newEngine();
    e.loadBundle(c.bytes);
    const cases: [Uint8Array, number][] = [];
    const flipped = c.bytes.slice();
    flipped[c.bytes.length - 9] ^= 0x40;
    cases.push([flipped, 5]);
    cases.push([c.bytes.slice(0, c.bytes.length - 16), 3]);
    const foreign = c.bytes.slice();
    foreign[0] = 0x7b;
    cases.push([foreign, 1]);
    const future = c.bytes.slice();
    future[4] = 2;
    cases.push([future, 2]);
    cases.push([new Uint8Array(10), 1]);
    for (const [bytes, code] of cases) {
      expect(() => e.loadBundle(bytes)).toThrow(BundleError);
      try {
        e.loadBundle(bytes);
      } catch (err) {
        expect((err as BundleError).code).toBe(code);
      }
      expect(e.policyHash).toBe(c.hash);
      expect(e.evaluate(call(1, "read_file", { path: "/work/a" })).verdict).toBe("forward");
    }
  });

  it("denies everything while no bundle is loaded", () => {
    const e = newEngine();
    const v = e.evaluate(call(1, "read_file"));
    expect(v.verdict).toBe("reply");
    expect(v.errorCode).toBe(-32001);
  });
});

describe("decisions", () => {
  const e = newEngine();
  e.loadBundle(compiled().bytes);

  it("forwards allowed calls and answers denied ones with the error contract", () => {
    expect(e.evaluate(call(1, "READ_FILE", { path: "/work/x" })).verdict).toBe("forward");
    const v = e.evaluate(call(7, "delete_file"));
    expect(v.verdict).toBe("reply");
    const r = JSON.parse(new TextDecoder().decode(v.response!));
    expect(r).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32001, message: "Forbidden" } });
    expect(r.error.data).toMatchObject({ tool: "delete_file", reason: "Tool not in allowed_tools list", rule: "allowed_tools" });
    expect(r.error.data.policy_hash).toBe(e.policyHash);
  });

  it("asks for ask rules and renders -32004 / -32005", () => {
    const m = call(3, "write_file", { path: "/work/a" });
    expect(e.evaluate(m).verdict).toBe("ask");
    const denied = JSON.parse(new TextDecoder().decode(e.deny(m, -32004).response!));
    expect(denied.error).toMatchObject({ code: -32004, message: "User denied" });
    const timeout = JSON.parse(new TextDecoder().decode(e.deny(m, -32005).response!));
    expect(timeout.error).toMatchObject({ code: -32005, message: "User approval timeout" });
    expect(timeout.id).toBe(3);
  });

  it("limits rates with the host's clock, and blocked calls take no token", () => {
    const r = newEngine();
    r.loadBundle(compiled().bytes);
    const t = 5_000;
    expect(r.evaluate(call(1, "run", { cmd: "rm -rf /" }), t).errorCode).toBe(-32001);
    expect(r.evaluate(call(2, "run", { cmd: "ls" }), t).verdict).toBe("forward");
    expect(r.evaluate(call(3, "run", { cmd: "pwd" }), t).verdict).toBe("forward");
    const limited = r.evaluate(call(4, "run", { cmd: "ls" }), t + 1000);
    expect(limited.decision).toBe("RATE_LIMITED");
    expect(limited.errorCode).toBe(-32002);
    expect(limited.retryAfterMs).toBeGreaterThan(20_000);
    expect(r.evaluate(call(5, "run", { cmd: "ls" }), t + 30_001).verdict).toBe("forward");
  });

  it("refuses protected paths, including inside commands and other spellings", () => {
    for (const p of ["~/.ssh/id_rsa", "/home/agent/.ssh", "cat ~/.ssh/id_rsa", "$HOME/.ssh/config", "/home/agent/x/../.ssh/k"]) {
      const v = e.evaluate(call(1, "read_file", { path: p }));
      expect(v.errorCode, p).toBe(-32007);
      expect(v.protectedPath).toBeTruthy();
      expect(new TextDecoder().decode(v.response!)).not.toContain(".ssh");
    }
  });
});

describe("scanning", () => {
  const e = newEngine();
  e.loadBundle(compiled().bytes);

  it("passes messages without secrets on unchanged, byte for byte", () => {
    const m = new TextEncoder().encode(`{"jsonrpc":"2.0", "id":1,  "result":{"content":[{"type":"text","text":"hello"}]}}`);
    const r = e.scan(m);
    expect(r.changed).toBe(false);
    expect(r.output).toBe(m);
  });

  it("redacts secrets in decoded strings and keeps the JSON valid", () => {
    const m = `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"key \\"AKIA1234567890ABCDEF\\"\\n","annotations":{"x":1}}],"structuredContent":{"k":"\\u0041KIA1234567890ABCDEF"}}}`;
    const r = e.scan(m);
    expect(r.changed).toBe(true);
    const out = JSON.parse(new TextDecoder().decode(r.output));
    expect(out.result.content[0].text).toBe('key "[REDACTED:AWS Key]"\n');
    expect(out.result.content[0].annotations).toEqual({ x: 1 });
    expect(out.result.structuredContent.k).toBe("[REDACTED:AWS Key]");
    expect(r.events).toEqual([{ rule: "AWS Key", count: 2 }]);
  });
});

describe("memory", () => {
  it("stays flat over many calls", () => {
    const e = newEngine();
    e.loadBundle(compiled().bytes);
    const msgs = [call(1, "read_file", { path: "/work/a".repeat(50) }), call(2, "nope"), `[1,2]`, `{"jsonrpc":"2.0","id":1,"result":{}}`];
    for (let i = 0; i < 2000; i++) e.evaluate(msgs[i % msgs.length]);
    const before = e.memoryBytes;
    for (let i = 0; i < 100_000; i++) e.evaluate(msgs[i % msgs.length]);
    expect(e.memoryBytes).toBe(before);
  });
});

describe("streams", () => {
  const e = newEngine();
  e.loadBundle(compiled().bytes);
  const dec = new TextDecoder();

  it("redacts a secret split across chunks of a line stream, and passes only whole lines", () => {
    const s = e.openStream("lines");
    const a = s.write("first line\nkey AKIA1234");
    expect(dec.decode(a.output)).toBe("first line\n");
    const b = s.write("567890ABCDEF and more\nlast");
    expect(dec.decode(b.output)).toBe("key [REDACTED:AWS Key] and more\n");
    expect(b.events).toEqual([{ rule: "AWS Key", count: 1 }]);
    expect(dec.decode(s.end().output)).toBe("last");
    expect(() => s.write("x")).toThrow(/ended/);
  });

  it("redacts inside SSE events cut into small chunks and keeps the events valid", () => {
    const msg = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "k=AKIA1234567890ABCDEF" }] } });
    const text = `event: message\nid: 7\ndata: ${msg}\n\n: keep-alive\n\n`;
    const s = e.openStream("sse");
    let out = "";
    for (let i = 0; i < text.length; i += 5) out += dec.decode(s.write(text.slice(i, i + 5)).output);
    out += dec.decode(s.end().output);
    expect(out).not.toContain("AKIA");
    const events = out.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(2);
    const data = events[0].split("\n").find((l) => l.startsWith("data: "))!.slice(6);
    expect(JSON.parse(data).result.content[0].text).toBe("k=[REDACTED:AWS Key]");
    expect(events[0]).toContain("event: message");
    expect(events[0]).toContain("id: 7");
    expect(events[1]).toBe(": keep-alive");
  });

  it("keeps engine memory flat over many streams", () => {
    for (let i = 0; i < 200; i++) {
      const s = e.openStream("sse");
      s.write("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n");
      s.end();
    }
    const before = e.memoryBytes;
    for (let i = 0; i < 20_000; i++) {
      const s = e.openStream(i % 2 ? "sse" : "lines");
      s.write("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"x\":\"AKIA1234567890ABCDEF\"}}\n\n");
      s.end();
    }
    expect(e.memoryBytes).toBe(before);
  });
});
