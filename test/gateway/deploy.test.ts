// The Kubernetes sidecar manifest (deploy/kubernetes/gateway-sidecar.yaml), checked offline: every object
// against the Kubernetes schema (kubernetes-models), its policy compiles, and the gateway started with exactly
// its TOOLGATE_* configuration (mount paths mapped to a temp dir, the upstream to a local server) becomes ready
// on the port and path its probes use.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { compilePolicy } from "../../compiler/index.ts";
import { TOOLGATE_BIN, packageRoot } from "../../conformance/drivers/stdio-process.ts";
import { freePort } from "../everything.ts";
import { tempDir, until, writeFile } from "../proxy/helpers.ts";
import { echoUpstream, localServer, post, runGatewayCommand, toolCall, type LocalServer } from "./helpers.ts";

const docs = parseAllDocuments(readFileSync(join(packageRoot(), "deploy/kubernetes/gateway-sidecar.yaml"), "utf8")).map((d) => d.toJS());
const byName = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const deployment = byName("Deployment", "research-agent");
const sidecar = deployment.spec.template.spec.containers.find((c: any) => c.name === "toolgate");
const config: Record<string, string> = byName("ConfigMap", "toolgate-config").data;
const policyText: string = byName("ConfigMap", "toolgate-policy").data["agent.yaml"];

describe("deploy/kubernetes/gateway-sidecar.yaml", () => {
  it("is valid Kubernetes", () => {
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "ConfigMap", "Deployment"]);
    for (const d of docs) (d.kind === "Deployment" ? new Deployment(d) : new ConfigMap(d)).validate();
  });

  it("carries a policy that compiles", () => {
    const r = compilePolicy(policyText, "agent.yaml", { home: "/home/agent", cwd: "/" });
    expect(r.policy.metadata.name).toBe("research-agent");
  });

  it("mounts what its configuration names, and probes the port the metrics listen on", () => {
    const mounts = Object.fromEntries(sidecar.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    expect(config.TOOLGATE_POLICY).toBe(`${mounts.policy}/agent.yaml`);
    expect(config.TOOLGATE_API_TOKEN_FILE.startsWith(`${mounts.token}/`)).toBe(true);
    expect(config.TOOLGATE_AUDIT.startsWith(`${mounts.audit}/`)).toBe(true);
    const port = sidecar.ports.find((p: any) => p.name === sidecar.readinessProbe.httpGet.port).containerPort;
    expect(config.TOOLGATE_METRICS_ADDR).toBe(`0.0.0.0:${port}`);
    expect(sidecar.args).toEqual(["gateway"]);
  });

  describe("the gateway run with exactly this configuration", () => {
    let upstream: LocalServer;
    let env: Record<string, string>;
    let metricsPort: number;
    let listenPort: number;
    beforeAll(async () => {
      upstream = await localServer(echoUpstream());
      const dir = tempDir("toolgate-k8s-");
      writeFile(dir, "agent.yaml", policyText);
      writeFile(dir, "token", "k8s-token\n");
      const mounts = Object.fromEntries(sidecar.volumeMounts.map((m: any) => [m.mountPath, dir]));
      const local = (path: string) => {
        for (const [mount, to] of Object.entries(mounts)) if (path.startsWith(`${mount}/`)) return join(to as string, path.slice(mount.length + 1));
        return path;
      };
      metricsPort = await freePort();
      listenPort = await freePort();
      env = {
        ...config,
        TOOLGATE_POLICY: local(config.TOOLGATE_POLICY),
        TOOLGATE_API_TOKEN_FILE: local(config.TOOLGATE_API_TOKEN_FILE),
        TOOLGATE_AUDIT: local(config.TOOLGATE_AUDIT),
        TOOLGATE_UPSTREAM: upstream.url,
        TOOLGATE_LISTEN: config.TOOLGATE_LISTEN.replace(/:\d+$/, `:${listenPort}`),
        TOOLGATE_METRICS_ADDR: `127.0.0.1:${metricsPort}`,
      };
    });
    afterAll(() => upstream?.close());

    it("becomes ready on the probe path, decides, and reads the token from the mounted file", async () => {
      const child = spawn(process.execPath, [TOOLGATE_BIN, ...sidecar.args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr!.on("data", (c) => (err += c));
      try {
        await until(async () => (await fetch(`http://127.0.0.1:${metricsPort}${sidecar.readinessProbe.httpGet.path}`).catch(() => null))?.status === 200, `readiness (${err})`);
        expect((await fetch(`http://127.0.0.1:${metricsPort}${sidecar.livenessProbe.httpGet.path}`)).status).toBe(200);
        const gw = `http://127.0.0.1:${listenPort}`;
        expect((await post(gw, toolCall(1, "delete_file", {}))).json).toMatchObject({ error: { code: -32001 } });
        expect((await post(gw, toolCall(2, "search", { q: "x" }))).status).toBe(200);
        const check = await fetch(`${gw}/v1/validate`, { method: "POST", headers: { authorization: "Bearer k8s-token" }, body: JSON.stringify({ tool: "search" }) });
        expect(await check.json()).toMatchObject({ decision: "allow" });
      } finally {
        child.kill("SIGTERM");
      }
    });

    it("refuses to start when the mounted token file is empty", async () => {
      const dir = tempDir("toolgate-k8s-empty-");
      const r = await runGatewayCommand([], { ...env, TOOLGATE_API_TOKEN_FILE: writeFile(dir, "token", "") });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("is empty");
    });
  });
});
