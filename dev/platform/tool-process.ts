import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ToolProcessOptions {
  /** What it is, for messages ("the Stripe stand-in"). */
  name: string;
  /** The folder of the script; it runs there under tsx. */
  cwd: string;
  script: string;
  args: string[];
  /** The line it prints once it listens; the first capture group is its URL. */
  readyLine: RegExp;
  /** Where its output goes (appended); without one it is dropped. */
  logFile?: string;
  /** How long it may take to listen (default 30 s: tsx compiles it first). */
  startTimeoutMs?: number;
  /** After SIGTERM, how long it may take to finish before SIGKILL (default 12 s). */
  stopGraceMs?: number;
}

export interface ToolProcess {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * One of our dev tools (a stand-in) in a process of its own, as
 * dev/platform/processes.ts spawns the services: a load test wants them off the simulated
 * fans' event loop (issue 21). Resolves once the tool printed its ready line; SIGTERM stops it.
 */
export async function startToolProcess(opts: ToolProcessOptions): Promise<ToolProcess> {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--import', 'tsx', opts.script, ...opts.args],
    {
      cwd: opts.cwd,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  // The end of what it printed on stderr, for the error when it exits before listening.
  let stderrTail = '';
  child.stderr.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-2000)));
  // 'close', not 'exit': by then its output has been read to the end.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.stopGraceMs ?? 12_000);
    await exited;
    clearTimeout(timer);
  };

  const lines = createInterface({ input: child.stdout });
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await Promise.race([
      new Promise<string>((resolve) => {
        lines.on('line', (line) => {
          const m = opts.readyLine.exec(line);
          if (m) resolve(m[1] as string);
        });
      }),
      exited.then(() => {
        throw new Error(
          `${opts.name} process exited (${child.exitCode ?? child.signalCode}) before listening` +
            (stderrTail.trim() ? `: ${stderrTail.trim()}` : '') +
            (opts.logFile ? `; see ${opts.logFile}` : ''),
        );
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${opts.name} process did not listen within ${startTimeoutMs} ms`)),
          startTimeoutMs,
        );
      }),
    ]);
    return { url, child, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
