// A toolgate proxy process seen from the client side, line by line: the conformance driver, the proxy tests
// and the benchmark drive the real `toolgate proxy` through it.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The toolgate checkout this module runs from (as a source file, or bundled into build/cli.mjs). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "bin", "toolgate.js"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the toolgate package root (bin/toolgate.js)");
}

export const TOOLGATE_BIN = join(packageRoot(), "bin", "toolgate.js");

export interface Line {
  text: string;
  /** Parsed JSON, or undefined when the line is not JSON. */
  msg: any;
}

export interface ProxyProcessOptions {
  /** Arguments after `toolgate` (e.g. ["proxy", "--policy", p, "--", "node", "server.mjs"]). */
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Collect the proxy's stderr (default: true). */
  captureStderr?: boolean;
}

export class ProxyProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: Line[] = [];
  stderr = "";
  private partial = "";
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(o: ProxyProcessOptions) {
    this.child = spawn(process.execPath, [TOOLGATE_BIN, ...o.args], { cwd: o.cwd, env: o.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => {
      const parts = (this.partial + chunk).split("\n");
      this.partial = parts.pop()!;
      for (const text of parts) {
        let msg: any;
        try {
          msg = JSON.parse(text);
        } catch {
          msg = undefined;
        }
        this.lines.push({ text, msg });
      }
      this.wake();
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => {
      if (o.captureStderr !== false) this.stderr += chunk;
      this.wake();
    });
    this.child.stdin.on("error", () => {}); // the proxy may exit first
    this.exited = new Promise((resolve) => this.child.once("close", (code, signal) => {
      this.wake();
      resolve({ code, signal });
    }));
  }

  send(message: string | object): void {
    this.child.stdin.write((typeof message === "string" ? message : JSON.stringify(message)) + "\n");
  }

  /** Resolves once check() holds (re-checked on every line), or rejects after timeoutMs. */
  waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; proxy stderr:\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The first line from index `from` on that matches, waiting for it. */
  async next(match: (l: Line) => boolean, from = 0, timeoutMs = 10_000, what = "a line"): Promise<Line> {
    let found: Line | undefined;
    await this.waitFor(() => (found = this.lines.slice(from).find(match)) !== undefined || this.child.exitCode !== null, timeoutMs, what);
    if (!found) throw new Error(`the proxy exited (${this.child.exitCode}) before ${what}; stderr:\n${this.stderr.slice(-2000)}`);
    return found;
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.check());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Close the client side and wait for the proxy to exit (killing it after timeoutMs). */
  async stop(timeoutMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      const t = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
      const r = await this.exited;
      clearTimeout(t);
      return r;
    }
    return this.exited;
  }
}
