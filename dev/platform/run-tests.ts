import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureFrontendBuilds } from './frontends';
import { LOCAL, REPO_ROOT } from './paths';
import { ensureSystemPackages } from './system-packages';
import { provisionTestInfra } from './test-infra';

const log = (m: string) => console.log(`[test] ${m}`);

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const bin = (name: string) => path.join(REPO_ROOT, 'node_modules/.bin', name);

/**
 * `npm test`: sets up what the suite needs (Debian packages, PostgreSQL, Kafka jars, the
 * test broker, frontend builds), runs typecheck, lint and every jest suite, stops what it
 * started, and ends with one "N passed, N failed" line.
 */
async function main(): Promise<number> {
  const t0 = Date.now();
  const jestArgs = process.argv.slice(2);
  const quick = jestArgs.length > 0; // a filtered run skips the static checks
  ensureSystemPackages(log);
  const infra = await provisionTestInfra(log);
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
      infra.env,
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
    await infra.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[test] ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
