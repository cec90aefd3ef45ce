import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { codeFacts } from './support/code-facts';
import { DEPLOYMENT, moduleDirs } from './support/hcl';
import {
  TF_WORK,
  findProviderMirror,
  moduleWorkCopy,
  terraform,
  terraformVersion,
  writeCliConfig,
  type TfResult,
} from './support/terraform';

/**
 * Terraform checks its own code: fmt, init + validate of the root stack and of every module on
 * its own, and `terraform test` planning staging and production with a mocked AWS provider
 * (deployment/tests/*.tftest.hcl). Offline where a provider mirror exists (these machines),
 * from the registry otherwise (CI). Without terraform on PATH the suite says so and skips.
 */
const version = terraformVersion();
if (!version) process.stderr.write('terraform not installed: Terraform checks skipped\n');
const describeTf = version ? describe : describe.skip;

const ENVIRONMENTS = ['staging', 'production'] as const;
const MINUTES = 60_000;

/** The output when a check failed, so jest's message shows Terraform's own words. */
const outcome = (r: TfResult) => (r.code === 0 ? 'ok' : r.output);

describeTf(`Terraform ${version ?? ''} on deployment/`, () => {
  const timings: string[] = [];
  // Every check is started at once after the root's init and awaited by its own test: each
  // terraform process spends most of its time loading the AWS provider's schema, so running
  // them side by side is what keeps the suite at a few minutes on a busy two-core machine.
  let checks: {
    fmt: Promise<TfResult>;
    validateRoot: Promise<TfResult>;
    modules: Promise<{ name: string; result: string }[]>;
    tests: Promise<TfResult[]>;
  };
  const t0 = Date.now();

  beforeAll(async () => {
    const cli = writeCliConfig(findProviderMirror());
    const factsFile = path.join(TF_WORK, 'code-facts.tfvars.json');
    writeFileSync(factsFile, JSON.stringify({ facts: await codeFacts() }, null, 2));
    const fmt = terraform(cli, DEPLOYMENT, 'fmt', ['fmt', '-check', '-recursive', '-diff', '-no-color']);
    const modules = Promise.all(
      moduleDirs().map(async (dir) => {
        const name = path.basename(dir);
        const work = moduleWorkCopy(dir);
        const init = await terraform(cli, work, `module-${name}`, [
          'init',
          '-backend=false',
          '-input=false',
          '-no-color',
        ]);
        if (init.code !== 0) return { name, result: outcome(init) };
        return {
          name,
          result: outcome(await terraform(cli, work, `module-${name}`, ['validate', '-no-color'])),
        };
      }),
    );
    const init = await terraform(cli, DEPLOYMENT, 'root', [
      'init',
      '-backend=false',
      '-lockfile=readonly',
      '-input=false',
      '-no-color',
    ]);
    timings.push(`init ${init.seconds.toFixed(1)} s`);
    expect(outcome(init)).toBe('ok');
    checks = {
      fmt,
      modules,
      validateRoot: terraform(cli, DEPLOYMENT, 'root', ['validate', '-no-color']),
      tests: Promise.all(
        ENVIRONMENTS.map((env) =>
          terraform(cli, DEPLOYMENT, 'root', [
            'test',
            '-no-color',
            `-var-file=environments/${env}.tfvars`,
            `-var-file=${factsFile}`,
          ]),
        ),
      ),
    };
  }, 5 * MINUTES);

  afterAll(() => {
    timings.push(`all ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.stdout.write(`[terraform] ${timings.join(', ')}\n`);
  });

  it('every file is formatted (terraform fmt -check -recursive)', async () => {
    expect(outcome(await checks.fmt)).toBe('ok');
  });

  it(
    'the root stack validates, with the provider the lock file pins',
    async () => {
      const r = await checks.validateRoot;
      timings.push(`validate root ${r.seconds.toFixed(1)} s`);
      expect(outcome(r)).toBe('ok');
    },
    10 * MINUTES,
  );

  it(
    'every module validates on its own',
    async () => {
      const dirs = moduleDirs();
      expect(dirs.length).toBeGreaterThanOrEqual(8);
      const results = await checks.modules;
      timings.push(`${dirs.length} modules by ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(results).toEqual(dirs.map((d) => ({ name: path.basename(d), result: 'ok' })));
    },
    10 * MINUTES,
  );

  it(
    'terraform test plans staging and production and every assertion holds',
    async () => {
      const runs = await checks.tests;
      ENVIRONMENTS.forEach((env, i) => timings.push(`test ${env} ${runs[i]!.seconds.toFixed(1)} s`));
      for (const [i, r] of runs.entries()) {
        expect({ env: ENVIRONMENTS[i], result: outcome(r) }).toEqual({ env: ENVIRONMENTS[i], result: 'ok' });
        // A test file that ran nothing passes too: demand the runs.
        const passed = /Success! (\d+) passed, 0 failed/.exec(r.output);
        expect(Number(passed?.[1] ?? 0)).toBeGreaterThanOrEqual(5);
      }
    },
    10 * MINUTES,
  );
});
