// The realistic policy of the budgets in DESIGN.md: 100 tools, 20 argument regexes, protected paths, and the
// 9 usual DLP patterns; and messages of the sizes the budgets name.

export const DLP_PATTERNS: [string, string][] = [
  ["AWS Access Key", "(AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}"],
  ["GitHub Token", "gh[pousr]_[A-Za-z0-9]{36}"],
  ["Generic API Key", "(?i)(api[_-]?key|secret|token)\\s*[:=]\\s*['\"]?[A-Za-z0-9/+_-]{16,}"],
  ["Private Key", "-----BEGIN (RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----"],
  ["Slack Token", "xox[baprs]-[0-9A-Za-z-]{10,48}"],
  ["Stripe Key", "(sk|rk)_(live|test)_[0-9a-zA-Z]{24,}"],
  ["JWT", "eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}"],
  ["Email", "[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}"],
  ["Credit Card", "\\b(?:\\d{4}[- ]?){3}\\d{4}\\b"],
];

export const ARG_RULES: { tool: string; arg: string; regex: string }[] = Array.from({ length: 20 }, (_, i) => {
  const kinds = [
    { arg: "path", regex: "^/workspace/[A-Za-z0-9._/-]+$" },
    { arg: "url", regex: "^https://(api\\.github\\.com|docs\\.example\\.org)/" },
    { arg: "query", regex: "^SELECT\\s+[A-Za-z0-9_, *]+\\s+FROM\\s+[a-z_]+" },
    { arg: "command", regex: "^(ls|cat|grep|git (status|log|diff))( [A-Za-z0-9._/ -]*)?$" },
  ];
  return { tool: `tool_${i}`, ...kinds[i % kinds.length] };
});

export const PROTECTED = ["~/.ssh", "~/.aws/credentials", "/etc/shadow", "/etc/sudoers", "~/.config/gcloud"];

export function policyYaml(): string {
  const lines = [
    "apiVersion: aip.io/v1alpha1",
    "kind: AgentPolicy",
    "metadata:",
    "  name: bench-policy",
    "spec:",
    "  allowed_tools:",
    ...Array.from({ length: 100 }, (_, i) => `    - tool_${i}`),
    "  tool_rules:",
    ...ARG_RULES.flatMap((r) => [`    - tool: ${r.tool}`, "      action: allow", "      allow_args:", `        ${r.arg}: ${JSON.stringify(r.regex)}`]),
    "  protected_paths:",
    ...PROTECTED.map((p) => `    - "${p}"`),
    "  dlp:",
    "    patterns:",
    ...DLP_PATTERNS.flatMap(([name, regex]) => [`      - name: ${JSON.stringify(name)}`, `        regex: ${JSON.stringify(regex)}`]),
  ];
  return lines.join("\n") + "\n";
}

/** A tools/call of about 1 KB that passes every check (the common case, and the one that does all the work). */
export function toolCall(id: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: {
      name: "tool_8",
      arguments: {
        path: "/workspace/src/components/Button.tsx",
        content: "export function Button(props: { label: string }) { return props.label; } // ".repeat(11),
        options: { encoding: "utf-8", createDirs: true, mode: 420 },
      },
      _meta: { progressToken: `token-${id}` },
    },
  });
}

/** About 1 MiB of tool result text without secrets (prose, code, logs), as an MCP result. */
export function largeResult(withSecrets: boolean): string {
  const chunk = [
    "The quick brown fox jumps over the lazy dog. Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "function add(a, b) { return a + b; } // returns the sum of two numbers, see docs/math.md for details",
    "2026-11-22T10:30:45Z INFO request id=4711 path=/api/v1/users status=200 duration=12ms bytes=5123",
    "| name | value | notes |\n|------|-------|-------|\n| retries | 3 | per request |\n",
  ].join("\n");
  let text = "";
  let i = 0;
  while (text.length < 1 << 20) {
    text += chunk + "\n";
    if (withSecrets && ++i % 200 === 0) text += "aws AKIAIOSFODNN7EXAMPLE contact ops@example.com\n";
  }
  return JSON.stringify({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text }] } });
}
