// The MCP server process. It runs in its own process group, so a signal reaches a wrapper and what it
// started (npx, sh -c, uv run ...), and the proxy reaps it before exiting (no zombies).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { constants } from "node:os";

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export async function startServer(argv: readonly string[], cwd?: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    detached: process.platform !== "win32",
    cwd,
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  return child;
}

/** Send a signal to the server and everything in its process group. */
export function signalServer(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform !== "win32" && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

/** The proxy's exit status for the server's: its code, or 128 + the signal number (as a shell reports it). */
export function exitStatus(e: ChildExit): number {
  if (e.code !== null) return e.code;
  const n = e.signal ? (constants.signals as Record<string, number>)[e.signal] : undefined;
  return n ? 128 + n : 1;
}

export function describeExit(e: ChildExit): string {
  return e.code !== null ? `exited with code ${e.code}` : `was killed by ${e.signal}`;
}
