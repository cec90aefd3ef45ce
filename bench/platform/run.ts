import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * `npm run bench:platform [-- --cold]`: how long `npm start` takes until all five
 * services are ready behind the gateway. Warm = this checkout (deps, jars, builds
 * cached). Cold = a fresh `git clone` of this checkout (npm ci, Node 24, jars, builds).
 * Prints a table and, last, one JSON line.
 */
const repo = path.resolve(__dirname, '../..');
const cold = process.argv.includes('--cold');

async function timeStart(cwd: string): Promise<{ seconds: number; healthy: string[] }> {
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
  const healthy: string[] = [];
  if (ready) {
    for (const svc of ['feed', 'buffer', 'queue', 'purchase', 'payment']) {
      const res = await fetch(`http://localhost:8080/${svc}/healthz`).catch(() => undefined);
      if (res?.status === 200) healthy.push(svc);
    }
  }
  try {
    process.kill(-child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
  await new Promise((r) => child.once('exit', r));
  if (!ready) throw new Error(`npm start did not come up:\n${output.slice(-3000)}`);
  return { seconds, healthy };
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
    const { seconds, healthy } = await timeStart(cwd);
    console.log(`| run  | seconds to all five ready | healthy through gateway |`);
    console.log(`|------|---------------------------|-------------------------|`);
    console.log(
      `| ${cold ? 'cold' : 'warm'} | ${seconds.toFixed(1).padStart(25)} | ${healthy.join(', ').padEnd(23)} |`,
    );
    console.log(
      JSON.stringify({
        bench: 'platform',
        mode: cold ? 'cold' : 'warm',
        secondsToReady: Number(seconds.toFixed(1)),
        healthy: healthy.length,
      }),
    );
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
