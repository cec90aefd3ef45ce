/**
 * `npm run bench:<name> [-- args]`: provisions what the bench needs, as `npm test` does
 * (PostgreSQL, the Kafka jars, the test broker on 127.0.0.1:TEST_KAFKA_PORT — 19092 unless
 * set — started when nothing answers there), runs `bench/<name>/run.ts` in a process of
 * its own, and stops what it started, however the bench ends (Ctrl-C included).
 * bench:platform needs nothing: it times `npm start`, which provisions itself.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { provisionTestInfra, type TestInfra } from '../dev/platform/test-infra';

const log = (m: string) => console.error(`[bench] ${m}`);
const NEEDS_NO_INFRA = new Set(['platform']);

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const script = path.join(__dirname, name ?? '', 'run.ts');
  if (!name || !existsSync(script)) {
    log(`usage: npm run bench:<name>; no bench/${name ?? ''}/run.ts`);
    return 2;
  }
  let infra: TestInfra | undefined;
  if (!NEEDS_NO_INFRA.has(name)) infra = await provisionTestInfra(log);
  try {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...infra?.env },
    });
    // Ctrl-C reaches the bench through the terminal's process group; a plain SIGTERM to
    // this process is passed on. Either way the bench ends first, then what we started.
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', forward);
    return await new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    await infra?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log((err as Error).stack ?? String(err));
    process.exit(1);
  },
);
