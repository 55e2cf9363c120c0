// The stdio proxy: starts the MCP server, puts the engine between it and the client, and runs until the server
// exits. Client lines go through Upstream, server lines through Downstream; this file wires them to the
// processes and owns the lifecycle: signals, end of input, hot reload, metrics, and the exit status.
import type { Readable, Writable } from "node:stream";
import { eventRecord, type ArgsMode } from "../../kit/audit.ts";
import { Approvals, type ApprovalChannel } from "./approval.ts";
import { describeExit, exitStatus, signalServer, startServer, type ChildExit } from "./child.ts";
import { joinCommandLine } from "./command-line.ts";
import { openHostContext } from "../context.ts";
import { Downstream, StderrRelay } from "./downstream.ts";
import { ElicitationChannel } from "./elicitation.ts";
import { LineReader } from "./lines.ts";
import { Logger } from "./log.ts";
import { startMetricsServer, type MetricsServer } from "./metrics-server.ts";
import { Outbox } from "./outbox.ts";
import { stopCompiler, type WorkerCompileOptions } from "./compile-worker.ts";
import { PolicyReloader } from "./reload.ts";
import { TtyChannel } from "./tty-prompt.ts";
import { Upstream, type Session } from "./upstream.ts";

export interface ProxyOptions {
  policy: string;
  /** The MCP server's argv. */
  command: string[];
  audit: string;
  auditArgs: ArgsMode;
  auditMaxBytes: number;
  auditKeep: number;
  verbose: boolean;
  metricsAddr: string | null;
  askTimeoutMs: number;
  /** Approval channels in order of preference. */
  approval: ("elicitation" | "tty")[];
  home?: string;
  cwd?: string;
  /** The engine's size limit for a client message (compiled into the bundle). */
  maxMessageBytes: number;
  /** The largest server message the proxy buffers to scan. */
  maxServerMessageBytes: number;
  reload: boolean;
  /** After a signal (or the end of input), how long the server may take to exit before SIGKILL. */
  graceMs: number;
}

export interface ProxyIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export class StartupError extends Error {}

const TOOLS_CHANGED = Buffer.from('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n');

export async function runProxy(o: ProxyOptions, io: ProxyIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  io.stderr.on("error", () => {}); // our stderr went away: the log is lost, the messages are not
  const log = new Logger(io.stderr, o.verbose);
  const compileOptions: WorkerCompileOptions = { home: o.home, cwd: o.cwd, maxMessageBytes: o.maxMessageBytes };
  const { ctx, first } = await openHostContext(o, compileOptions, log);
  const { audit, metrics } = ctx;
  const policyName = () => ctx.current.policy?.metadata.name ?? null;
  if (ctx.filterStderr) log.info("DLP stderr filtering enabled");

  let stopping = false;
  let child: Awaited<ReturnType<typeof startServer>> | null = null;
  let metricsServer: MetricsServer | null = null;
  const cleanups: (() => void)[] = [];
  const finalize = () => {
    for (const f of cleanups.splice(0).reverse()) f();
  };

  try {
    if (o.metricsAddr) {
      metricsServer = await startMetricsServer(o.metricsAddr, metrics.registry, () => !stopping && child !== null && child.exitCode === null && ctx.engine.policyHash !== null);
      log.info(`Metrics on http://${metricsServer.address}/metrics (/healthz, /readyz)`);
    }
    try {
      child = await startServer(o.command);
    } catch (e) {
      throw new StartupError(`cannot start the MCP server ${JSON.stringify(ctx.redactForLog(joinCommandLine(o.command)))}: ${ctx.redactForLog((e as Error).message)}`);
    }
  } catch (e) {
    await metricsServer?.close();
    audit.close();
    throw e;
  }
  const server = child;
  log.info(`Started subprocess PID ${server.pid}: ${ctx.redactForLog(joinCommandLine(o.command))}`);
  server.on("error", (e) => log.error(`MCP server: ${e.message}`));

  // Peers.
  let clientGone = false;
  const commit = () => audit.commit();
  const toClient = new Outbox(io.stdout, () => onClientGone(), commit);
  const toServer = new Outbox(server.stdin, () => {}, commit);
  const session: Session = { toolsListIds: new Set(), initialized: false };
  const elicitation = new ElicitationChannel((m) => toClient.send(Buffer.from(JSON.stringify(m) + "\n")), o.approval.includes("elicitation"));
  const channels: ApprovalChannel[] = o.approval.map((name) => (name === "elicitation" ? elicitation : new TtyChannel()));
  const approvals = new Approvals(channels, o.askTimeoutMs, (e) => log.error(`approval: ${e.message}`));
  if (channels.length === 0) log.info("Approval: no channel (--approval none): ask rules are denied after the timeout");
  const upstream = new Upstream(ctx, toServer, toClient, approvals, elicitation, session);
  const downstream = new Downstream(ctx, toClient, session);
  const relay = new StderrRelay(ctx, io.stderr);

  // Client -> server. Reading pauses while either peer's buffer is full.
  const fromClient = new LineReader(o.maxMessageBytes, upstream);
  const resumeClient = () => {
    if (toServer.full) toServer.onDrain(resumeClient);
    else if (toClient.full) toClient.onDrain(resumeClient);
    else if (!clientGone) io.stdin.resume();
  };
  io.stdin.on("data", (chunk: Buffer) => {
    fromClient.push(chunk);
    toServer.flush();
    toClient.flush();
    if (toServer.full || toClient.full) {
      io.stdin.pause();
      resumeClient();
    }
  });
  io.stdin.on("end", () => {
    fromClient.end();
    toServer.flush();
    toClient.flush();
    void onClientGone();
  });
  io.stdin.on("error", () => void onClientGone());

  // Server -> client.
  const fromServer = new LineReader(o.maxServerMessageBytes, downstream);
  server.stdout.on("data", (chunk: Buffer) => {
    fromServer.push(chunk);
    toClient.flush();
    if (toClient.full) {
      server.stdout.pause();
      toClient.onDrain(() => server.stdout.resume());
    }
  });
  server.stdout.on("end", () => {
    fromServer.end();
    toClient.flush();
  });
  server.stderr.on("data", (chunk: Buffer) => {
    relay.write(chunk);
    if (relay.full) {
      server.stderr.pause();
      io.stderr.once("drain", () => server.stderr.resume());
    }
  });
  server.stderr.on("end", () => relay.flushStream());

  // Ending: the server exiting ends the proxy; a signal or the end of input asks the server to exit first.
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  cleanups.push(() => timers.forEach(clearTimeout));
  const killAfterGrace = () =>
    later(o.graceMs, () => {
      log.info(`the MCP server did not exit within ${o.graceMs} ms: SIGKILL`);
      signalServer(server, "SIGKILL");
    });

  async function onClientGone(): Promise<void> {
    if (clientGone) return;
    clientGone = true;
    stopping = true;
    await upstream.settle();
    toServer.end(); // the server sees the end of its input, as the client closed ours
    later(o.graceMs, () => {
      log.info(`the MCP server is still running ${o.graceMs} ms after the client left: SIGTERM`);
      signalServer(server, "SIGTERM");
      killAfterGrace();
    });
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true;
    if (signalled) {
      log.info(`${signal} again: SIGKILL to the MCP server`);
      signalServer(server, "SIGKILL");
      return;
    }
    signalled = true;
    log.info(`${signal}: passing it to the MCP server (PID ${server.pid})`);
    signalServer(server, signal);
    killAfterGrace();
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  cleanups.push(() => {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  });

  // Hot reload: a changed policy file is compiled and swapped in; the client is told the tool list changed.
  const reloader = new PolicyReloader(o.policy, first.source, compileOptions, ctx, { watch: o.reload, policyName }, () => {
    if (session.initialized) toClient.send(TOOLS_CHANGED);
  });
  cleanups.push(() => {
    reloader.close();
    stopCompiler();
  });

  const exit = await new Promise<ChildExit>((resolve) => server.once("close", (code, signal) => resolve({ code, signal })));
  const expected = stopping;
  stopping = true;
  if (!expected) log.info(`the MCP server ${describeExit(exit)} unexpectedly; the proxy stops`);
  else log.info(`the MCP server ${describeExit(exit)}`);
  await upstream.settle();
  relay.flushStream();
  ctx.write(eventRecord("SERVER_EXITED", { code: exit.code, signal: exit.signal }, ctx.auditPolicy, ctx.auditOptions, expected ? "INFO" : "WARN"));
  io.stdin.pause();
  io.stdin.removeAllListeners("data");
  if (io.stdin === process.stdin) process.stdin.destroy();
  // What the client has not read yet still reaches it, unless it stopped reading altogether.
  await Promise.race([toClient.finish(), new Promise((r) => setTimeout(r, o.graceMs).unref())]);
  finalize();
  await metricsServer?.close();
  audit.close();
  return exitStatus(exit);
}
