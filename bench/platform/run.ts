import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * `npm run bench:platform [-- --cold]`: how long `npm start` takes until all five
 * services are ready behind the gateway. Warm = this checkout (deps, jars, builds
 * cached). Cold = a fresh `git clone` of this checkout (npm ci, Node 24, jars, builds).
 * Each service's `/readyz` (database, broker and its consumers) is asked on its own port
 * (the gateway never forwards it: it is not public); fewer than five ready fails the run (exit 1).
 * Prints a table and, last, one JSON line.
 */
const repo = path.resolve(__dirname, '../..');
const cold = process.argv.includes('--cold');
const SERVICES = ['feed', 'buffer', 'queue', 'purchase', 'payment'];
/** The platform's service ports (dev/gateway PLATFORM_ROUTES). */
const SERVICE_PORTS: Record<string, number> = {
  feed: 8081,
  buffer: 8082,
  queue: 8083,
  purchase: 8084,
  payment: 8085,
};

async function timeStart(cwd: string): Promise<{ seconds: number; ready: string[] }> {
  const t0 = Date.now();
  const child = spawn('npm', ['start'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env },
  });
  let output = '';
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 900_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('TicketSlave is running at')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => resolve(false));
  });
  const seconds = (Date.now() - t0) / 1000;
  const readyServices: string[] = [];
  if (ready) {
    for (const svc of SERVICES) {
      const res = await fetch(`http://127.0.0.1:${SERVICE_PORTS[svc]}/${svc}/readyz`, {
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (res?.status === 200) readyServices.push(svc);
    }
  }
  try {
    process.kill(-child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
  await new Promise((r) => child.once('exit', r));
  if (!ready) throw new Error(`npm start did not come up:\n${output.slice(-3000)}`);
  return { seconds, ready: readyServices };
}

async function main(): Promise<void> {
  let cwd = repo;
  let tmp: string | undefined;
  if (cold) {
    tmp = mkdtempSync(path.join(tmpdir(), 'ts-cold-'));
    cwd = path.join(tmp, 'main');
    spawnSync('git', ['clone', '-q', repo, cwd], { stdio: 'inherit' });
  }
  try {
    const { seconds, ready } = await timeStart(cwd);
    const notReady = SERVICES.filter((s) => !ready.includes(s));
    console.log(`| run  | seconds to all five ready | /readyz 200 (service port)  |`);
    console.log(`|------|---------------------------|-----------------------------|`);
    console.log(
      `| ${cold ? 'cold' : 'warm'} | ${seconds.toFixed(1).padStart(25)} | ${ready.join(', ').padEnd(27)} |`,
    );
    if (notReady.length) console.log(`not ready: ${notReady.join(', ')}`);
    console.log(
      JSON.stringify({
        bench: 'platform',
        mode: cold ? 'cold' : 'warm',
        secondsToReady: Number(seconds.toFixed(1)),
        ready: ready.length,
      }),
    );
    if (notReady.length) process.exitCode = 1;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
