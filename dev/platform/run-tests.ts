import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureKafkaJars, isKafkaReachable, startKafka, type KafkaBroker } from '../kafka/broker';
import { TEST_KAFKA } from '../test-support/env';
import { ensureFrontendBuilds } from './frontends';
import { LOCAL, REPO_ROOT } from './paths';
import { ensureSystemPackages } from './system-packages';

const log = (m: string) => console.log(`[test] ${m}`);

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const bin = (name: string) => path.join(REPO_ROOT, 'node_modules/.bin', name);

/**
 * `npm test`: sets up what the suite needs (Debian packages, Kafka jars, the test
 * broker, frontend builds), runs typecheck, lint and every jest suite, stops what it
 * started, and ends with one "N passed, N failed" line.
 */
async function main(): Promise<number> {
  const t0 = Date.now();
  const jestArgs = process.argv.slice(2);
  const quick = jestArgs.length > 0; // a filtered run skips the static checks
  ensureSystemPackages(log);
  await ensureKafkaJars();
  const brokers = [`127.0.0.1:${TEST_KAFKA.port}`];
  let broker: KafkaBroker | undefined;
  if (!(await isKafkaReachable(brokers, 10_000))) {
    mkdirSync(TEST_KAFKA.dataDir, { recursive: true });
    log(`starting the test Kafka broker on ${brokers[0]}`);
    broker = await startKafka({
      port: TEST_KAFKA.port,
      controllerPort: TEST_KAFKA.controllerPort,
      dataDir: TEST_KAFKA.dataDir,
      heapMb: 768,
    });
  }
  const failures: string[] = [];
  try {
    await ensureFrontendBuilds(log);
    if (!quick) {
      log('typecheck');
      if ((await run('bash', ['scripts/run.sh', 'typecheck'])) !== 0) failures.push('typecheck');
      log('lint');
      if ((await run('bash', ['scripts/run.sh', 'lint'])) !== 0) failures.push('lint');
    }
    const resultsFile = path.join(LOCAL, 'test-results', 'jest.json');
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    const code = await run(
      process.execPath,
      [bin('jest'), '--ci', '--json', `--outputFile=${resultsFile}`, ...jestArgs],
      {
        TEST_KAFKA_BROKERS: brokers.join(','),
      },
    );
    if (code !== 0) failures.push('jest');
    let passed = 0;
    let failed = 0;
    if (existsSync(resultsFile)) {
      const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        numRuntimeErrorTestSuites: number;
      };
      passed = r.numPassedTests;
      failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
    }
    failed += failures.filter((f) => f !== 'jest').length;
    log(
      `finished in ${((Date.now() - t0) / 1000).toFixed(0)} s${failures.length ? `; failed: ${failures.join(', ')}` : ''}`,
    );
    console.log(`${passed} passed, ${failed} failed`);
    return failures.length ? 1 : 0;
  } finally {
    await broker?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[test] ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
