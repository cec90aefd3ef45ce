import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { IMMUTABLE_CACHE, NO_CACHE, isHashed, planUploads, publish } from '../scripts/publish-assets';
import { s3ClientOptionsForStandIn, startS3, type StandIn } from '../../dev/standins';
import { REPO_ROOT, SERVICES } from './support/hcl';
import { createStubs, type StubRule } from './support/stubs';

const SCRIPTS = ['push_to_ecr.sh', 'deploy.sh'];
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('shell scripts', () => {
  (hasShellcheck ? it : it.skip)('are shellcheck clean (install: apt-get install shellcheck)', () => {
    const res = spawnSync('shellcheck', ['--severity=style', ...SCRIPTS], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it.each(SCRIPTS)('%s fails fast and never traces commands (which would print secrets)', (script) => {
    const src = readFileSync(path.join(REPO_ROOT, script), 'utf8');
    expect(src).toMatch(/^set -euo pipefail$/m);
    expect(src).not.toMatch(/set -[a-z]*x|set -o xtrace/);
    expect(bashSyntaxOk(script)).toBe(true);
  });

  it('push_to_ecr.sh tags with the git sha and latest, and logs in through stdin', () => {
    const src = readFileSync(path.join(REPO_ROOT, 'push_to_ecr.sh'), 'utf8');
    expect(src).toMatch(/git rev-parse --short=12 HEAD/);
    expect(src).toMatch(/--tag "\$\{image\}:\$\{TAG\}"/);
    expect(src).toMatch(/--tag "\$\{image\}:latest"/);
    expect(src).toMatch(/--password-stdin/);
    for (const svc of SERVICES) expect(src).toContain(svc);
  });

  it('deploy.sh refuses an unknown environment with usage', () => {
    const usage = spawnSync('bash', [path.join(REPO_ROOT, 'deploy.sh'), 'nowhere'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});

describe('deploy.sh, run offline with stub terraform, aws, docker and node', () => {
  const TAG = 'abc123def456';
  const REGISTRY = '111111111111.dkr.ecr.eu-central-1.amazonaws.com';
  const taskDefs = SERVICES.map(
    (s) => `${s}=arn:aws:ecs:eu-central-1:111111111111:task-definition/ts-${s}:7`,
  );
  const BOOT_TASK_DEF = 'arn:aws:ecs:eu-central-1:111111111111:task-definition/ts-staging-bootstrap:3';
  const BOOT_TASK = 'arn:aws:ecs:eu-central-1:111111111111:task/ts-staging/0f1e2d';
  const NETWORK =
    '{"awsvpcConfiguration":{"subnets":["subnet-a"],"securityGroups":["sg-services"],"assignPublicIp":"DISABLED"}}';
  /** The bootstrap task: running once, then stopped with `exit`. */
  const bootstrapRules = (exit = '0', reason = 'Essential container in task exited'): StubRule[] => [
    { cmd: 'aws', match: '^ecs run-task ', stdout: `${BOOT_TASK}\n` },
    {
      cmd: 'aws',
      match: '^ecs describe-tasks ',
      stdout: ['RUNNING\tNone\tNone\n', `STOPPED\t${exit}\t${reason}\n`],
    },
  ];
  const baseRules = (ecs: StubRule[], images: StubRule[] = [], bootstrap = bootstrapRules()): StubRule[] => [
    { cmd: 'aws', match: '^sts get-caller-identity', stdout: '111111111111\n' },
    ...images,
    { cmd: 'aws', match: '^ecs describe-services .*networkConfiguration', stdout: `${NETWORK}\n` },
    ...bootstrap,
    { cmd: 'aws', match: '^ecr describe-images', stdout: 'sha256:0a1b\n' },
    { cmd: 'aws', match: '^ecr get-login-password', stdout: 'not-a-real-password' },
    ...ecs,
    { cmd: 'aws', match: '^ecs describe-services', stdout: 'COMPLETED\tECS deployment completed.\n' },
    { cmd: 'terraform', match: 'output -raw assets_bucket', stdout: 'ts-staging-assets' },
    { cmd: 'terraform', match: 'output -raw ecs_cluster_name', stdout: 'ts-staging' },
    { cmd: 'terraform', match: 'output -raw ecs_task_definitions', stdout: taskDefs.join('\n') },
    { cmd: 'terraform', match: 'output -raw bootstrap_task_definition', stdout: BOOT_TASK_DEF },
    { cmd: 'docker', match: '^create ', stdout: 'cid-1\n' },
  ];
  const deploy = (rules: StubRule[]) => {
    const stubs = createStubs(['terraform', 'aws', 'docker', 'node'], rules);
    const res = spawnSync('bash', [path.join(REPO_ROOT, 'deploy.sh'), 'staging', '--yes', '--tag', TAG], {
      encoding: 'utf8',
      env: { ...process.env, ...stubs.env, DEPLOY_POLL_SECONDS: '0' },
    });
    const lines = stubs.lines();
    stubs.cleanup();
    return { res, lines };
  };
  const first = (lines: string[], re: RegExp) => lines.findIndex((l) => re.test(l));
  const last = (lines: string[], re: RegExp) =>
    lines.length - 1 - [...lines].reverse().findIndex((l) => re.test(l));

  it('when every image exists and every roll completes: checks, extracts, publishes, applies once, follows each rollout', () => {
    const { res, lines } = deploy(
      baseRules([
        {
          cmd: 'aws',
          match: '^ecs describe-services --cluster ts-staging --services feed ',
          stdout: ['IN_PROGRESS\tECS deployment in progress.\n', 'COMPLETED\tECS deployment completed.\n'],
        },
      ]),
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`deploy: staging is running ${TAG}`);
    for (const svc of SERVICES) {
      expect(lines).toContain(
        `aws ecr describe-images --repository-name ticketslave/${svc} --image-ids imageTag=${TAG} --query imageDetails[0].imageDigest --output text`,
      );
      expect(lines).toContain(`docker create ${REGISTRY}/ticketslave/${svc}:${TAG}`);
      expect(
        lines.some(
          (l) =>
            l.startsWith(`docker cp cid-1:/app/frontend `) &&
            l.endsWith(`/${svc}-service/${svc}-frontend/dist`),
        ),
      ).toBe(true);
    }
    const publish = first(
      lines,
      /^node --import tsx .*publish-assets\.ts --bucket ts-staging-assets --root /,
    );
    const order = [
      first(lines, /^terraform -chdir=\S+ init .*-backend-config=environments\/staging\.s3\.tfbackend/),
      last(lines, /^aws ecr describe-images/),
      first(lines, /^docker pull/),
      last(lines, /^docker rm/),
      first(lines, /^terraform -chdir=\S+ apply .*-target=module\.s3/),
      publish,
      first(
        lines,
        /^terraform -chdir=\S+ plan .*-target=aws_ecs_task_definition\.bootstrap -out=\S+bootstrap\.tfplan$/,
      ),
      first(lines, /^terraform -chdir=\S+ apply -input=false \S+bootstrap\.tfplan$/),
      first(lines, /^aws ecs run-task /),
      last(lines, /^aws ecs describe-tasks /),
      first(
        lines,
        /^terraform -chdir=\S+ plan .*-var-file=environments\/staging\.tfvars -var image_tag=abc123def456 -out=/,
      ),
      first(lines, /^terraform -chdir=\S+ apply -input=false \S+plan\.tfplan$/),
      first(lines, /^aws ecs describe-services .*rolloutState/),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // One roll: the apply changes the task definitions; nothing forces another.
    expect(lines.filter((l) => /update-service|force-new-deployment|wait services-stable/.test(l))).toEqual(
      [],
    );
    expect(lines.filter((l) => /^terraform \S+ apply/.test(l)).length).toBe(3);
    // The bootstrap: the image's new task definition, in the services' network, followed until it stopped.
    expect(lines.filter((l) => l.startsWith('aws ecs run-task '))).toEqual([
      `aws ecs run-task --cluster ts-staging --launch-type FARGATE --task-definition ${BOOT_TASK_DEF} --network-configuration ${NETWORK} --started-by deploy.sh --query tasks[0].taskArn --output text`,
    ]);
    expect(
      lines.filter((l) => l.startsWith(`aws ecs describe-tasks --cluster ts-staging --tasks ${BOOT_TASK} `))
        .length,
    ).toBe(2);
    // Each service's own new task definition is followed; feed until it completed.
    const ecs = lines.filter((l) => l.startsWith('aws ecs describe-services') && l.includes('rolloutState'));
    expect(ecs.filter((l) => l.includes('--services feed ')).length).toBe(2);
    for (const [i, svc] of SERVICES.entries())
      expect(
        ecs.some(
          (l) =>
            l.includes(`--services ${svc} `) && l.includes(`taskDefinition=='${taskDefs[i]!.split('=')[1]}'`),
        ),
      ).toBe(true);
  }, 180_000);

  it('when an image of the tag is missing, exits 1 naming it before anything is changed', () => {
    const { res, lines } = deploy(
      baseRules(
        [],
        [
          {
            cmd: 'aws',
            match: '^ecr describe-images --repository-name ticketslave/purchase ',
            exitCode: 254,
          },
        ],
      ),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`image ticketslave/purchase:${TAG} is not in ${REGISTRY}`);
    expect(lines.filter((l) => /^terraform \S+ (apply|plan)|^docker|^node/.test(l))).toEqual([]);
  }, 180_000);

  it("when the circuit breaker rolls a service back, exits 1 with ECS's reason", () => {
    const { res, lines } = deploy(
      baseRules([
        {
          cmd: 'aws',
          match: '^ecs describe-services --cluster ts-staging --services queue ',
          stdout: [
            'IN_PROGRESS\tin progress\n',
            'FAILED\tECS deployment circuit breaker: tasks failed to start.\n',
          ],
        },
      ]),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /deploy: queue was rolled back:\s+ECS deployment circuit breaker: tasks failed to start\./,
    );
    expect(res.stdout).not.toContain('is running');
    expect(lines.some((l) => l.includes('--services purchase '))).toBe(false);
  }, 180_000);

  it('when the bootstrap task exits non-zero, exits 1 before anything rolls', () => {
    const { res, lines } = deploy(
      baseRules([], [], bootstrapRules('1', 'Essential container in task exited')),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      'the bootstrap task exited 1 (Essential container in task exited); nothing rolled',
    );
    expect(lines.filter((l) => /plan\.tfplan$|-out=\S+\/plan\.tfplan|rolloutState/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('aws ecs describe-tasks ')).length).toBe(2);
  }, 180_000);

  it('when the bootstrap task stops without an exit code (it never ran), exits 1 before anything rolls', () => {
    const { res, lines } = deploy(baseRules([], [], bootstrapRules('None', 'CannotPullContainerError')));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('the bootstrap task exited None (CannotPullContainerError)');
    expect(lines.filter((l) => /-out=\S+\/plan\.tfplan|rolloutState/.test(l))).toEqual([]);
  }, 180_000);

  it("when applying the bootstrap's task definition would change something else (RDS), refuses before applying anything", () => {
    const { res, lines } = deploy([
      {
        cmd: 'terraform',
        match: '^-chdir=\\S+ show -no-color \\S+bootstrap\\.tfplan$',
        stdout: [
          'Terraform will perform the following actions:',
          '  # aws_ecs_task_definition.bootstrap must be replaced',
          '  # data.aws_iam_policy_document.bootstrap_secrets will be read during apply',
          '  # module.rds.aws_db_instance.this will be updated in-place',
          '',
        ].join('\n'),
      },
      ...baseRules([]),
    ]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      'the bootstrap task depends on pending changes: module.rds.aws_db_instance.this -',
    );
    expect(
      lines.filter((l) =>
        /^terraform \S+ apply .*bootstrap|^aws ecs run-task|-out=\S+\/plan\.tfplan/.test(l),
      ),
    ).toEqual([]);
  }, 180_000);

  it('when the new deployment is gone (replaced by the rollback), exits 1', () => {
    const { res } = deploy(
      baseRules([
        {
          cmd: 'aws',
          match: '^ecs describe-services --cluster ts-staging --services buffer ',
          stdout: 'None\n',
        },
      ]),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      'buffer has no deployment of arn:aws:ecs:eu-central-1:111111111111:task-definition/ts-buffer:7 any more',
    );
  }, 180_000);
});

function bashSyntaxOk(script: string): boolean {
  try {
    execFileSync('bash', ['-n', path.join(REPO_ROOT, script)]);
    return true;
  } catch {
    return false;
  }
}

describe('publish-assets', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'publish-assets-'));
    for (const svc of SERVICES) {
      const dist = path.join(root, `${svc}-service`, `${svc}-frontend`, 'dist');
      mkdirSync(path.join(dist, 'assets', 'fonts'), { recursive: true });
      writeFileSync(path.join(dist, 'index.html'), '<script src="/x/assets/index-AbCd1234.js"></script>');
      writeFileSync(path.join(dist, 'assets', 'index-AbCd1234.js'), 'console.log(1)');
      writeFileSync(path.join(dist, 'assets', 'index-Zz9_-xY8.css'), 'body{}');
      writeFileSync(path.join(dist, 'assets', 'fonts', 'inter-Q1w2E3r4.woff2'), 'x');
      writeFileSync(path.join(dist, 'assets', 'robots.txt'), 'x');
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('uploads hashed assets under <svc>/assets/ with a year of immutable cache, never index.html', () => {
    const plan = planUploads(root);
    expect(plan).toHaveLength(SERVICES.length * 4);
    expect(plan.some((u) => u.key.endsWith('index.html'))).toBe(false);
    expect(plan.find((u) => u.key === 'feed/assets/index-AbCd1234.js')).toMatchObject({
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: IMMUTABLE_CACHE,
    });
    expect(plan.find((u) => u.key === 'queue/assets/fonts/inter-Q1w2E3r4.woff2')).toMatchObject({
      contentType: 'font/woff2',
      cacheControl: IMMUTABLE_CACHE,
    });
    expect(plan.find((u) => u.key === 'payment/assets/robots.txt')).toMatchObject({ cacheControl: NO_CACHE });
    expect(isHashed('index-Zz9_-xY8.css')).toBe(true);
    expect(isHashed('logo.svg')).toBe(false);
  });

  it('refuses to publish when a frontend has not been built', () => {
    expect(() => planUploads(root, ['nope'])).toThrow(/npm run build -w @ticketslave\/nope-frontend/);
  });

  describe('against the S3 stand-in (s3rver, the real @aws-sdk/client-s3)', () => {
    const BUCKET = 'ticketslave-assets-test';
    let s3: StandIn;
    let client: S3Client;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'publish-assets-s3-'));
      s3 = await startS3({ port: 0, dataDir, buckets: [BUCKET] });
      client = new S3Client(s3ClientOptionsForStandIn(s3.url));
    });
    afterAll(async () => {
      client?.destroy();
      await s3?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const keysInBucket = async (): Promise<string[]> => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      return (listed.Contents ?? []).map((o) => o.Key!).sort();
    };
    const head = (key: string) => client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));

    it('uploads every asset under <svc>/assets/ with its Content-Type and Cache-Control, and the bytes intact', async () => {
      const lines: string[] = [];
      const result = await publish(client, BUCKET, planUploads(root), (l) => lines.push(l));
      expect(result).toEqual({ uploaded: SERVICES.length * 4, skipped: 0 });
      expect(lines).toHaveLength(SERVICES.length * 4);

      const expectedKeys = SERVICES.flatMap((svc) =>
        ['fonts/inter-Q1w2E3r4.woff2', 'index-AbCd1234.js', 'index-Zz9_-xY8.css', 'robots.txt'].map(
          (f) => `${svc}/assets/${f}`,
        ),
      ).sort();
      expect(await keysInBucket()).toEqual(expectedKeys);

      for (const svc of SERVICES) {
        const js = await head(`${svc}/assets/index-AbCd1234.js`);
        expect({ key: `${svc} js`, type: js.ContentType, cache: js.CacheControl }).toEqual({
          key: `${svc} js`,
          type: 'text/javascript; charset=utf-8',
          cache: IMMUTABLE_CACHE,
        });
        const css = await head(`${svc}/assets/index-Zz9_-xY8.css`);
        expect({ type: css.ContentType, cache: css.CacheControl }).toEqual({
          type: 'text/css; charset=utf-8',
          cache: IMMUTABLE_CACHE,
        });
        const font = await head(`${svc}/assets/fonts/inter-Q1w2E3r4.woff2`);
        expect({ type: font.ContentType, cache: font.CacheControl }).toEqual({
          type: 'font/woff2',
          cache: IMMUTABLE_CACHE,
        });
        // Unhashed (copied from public/): may change under the same name, so never cached blind.
        const robots = await head(`${svc}/assets/robots.txt`);
        expect({ type: robots.ContentType, cache: robots.CacheControl }).toEqual({
          type: 'text/plain; charset=utf-8',
          cache: NO_CACHE,
        });
      }

      // The stand-in stores what the SDK sent: no aws-chunked framing inside the object.
      const got = await client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'feed/assets/index-AbCd1234.js' }),
      );
      expect(await got.Body!.transformToString()).toBe('console.log(1)');
    });

    it('never puts index.html in the bucket: each backend serves it (no-cache) with its asset URLs rewritten', async () => {
      const keys = await keysInBucket();
      expect(keys.filter((k) => k.endsWith('.html'))).toEqual([]);
      await expect(head('feed/index.html')).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });

    it('on a second deploy skips hashed files already there and refreshes the unhashed ones', async () => {
      const robotsBefore = await head('feed/assets/robots.txt');
      writeFileSync(
        path.join(root, 'feed-service', 'feed-frontend', 'dist', 'assets', 'robots.txt'),
        'changed',
      );
      writeFileSync(
        path.join(root, 'feed-service', 'feed-frontend', 'dist', 'assets', 'index-NeWh4sh9.js'),
        'console.log(2)',
      );
      try {
        const result = await publish(client, BUCKET, planUploads(root, ['feed']), () => undefined);
        // New: the new bundle and robots.txt; the three hashed files already there are skipped.
        expect(result).toEqual({ uploaded: 2, skipped: 3 });
        const fresh = await head('feed/assets/index-NeWh4sh9.js');
        expect({ type: fresh.ContentType, cache: fresh.CacheControl }).toEqual({
          type: 'text/javascript; charset=utf-8',
          cache: IMMUTABLE_CACHE,
        });
        const robots = await head('feed/assets/robots.txt');
        expect(robots.ETag).not.toBe(robotsBefore.ETag);
        expect(robots.CacheControl).toBe(NO_CACHE);
        // Nothing is deleted: pages opened before the deploy still find their old bundle.
        expect((await head('feed/assets/index-AbCd1234.js')).CacheControl).toBe(IMMUTABLE_CACHE);
      } finally {
        rmSync(path.join(root, 'feed-service', 'feed-frontend', 'dist', 'assets', 'index-NeWh4sh9.js'));
        writeFileSync(path.join(root, 'feed-service', 'feed-frontend', 'dist', 'assets', 'robots.txt'), 'x');
      }
    });
  });
});

describe('GitHub workflows', () => {
  const load = (
    name: string,
  ): {
    on: unknown;
    jobs: Record<
      string,
      {
        services?: Record<string, unknown>;
        steps?: { run?: string; uses?: string; with?: Record<string, unknown> }[];
        uses?: string;
        needs?: string | string[];
      }
    >;
  } => parse(readFileSync(path.join(REPO_ROOT, '.github', 'workflows', name), 'utf8'));

  it('CI lints, typechecks and runs the full tests with PostgreSQL (npm test fetches Kafka itself)', () => {
    const ci = load('ci.yml');
    const job = Object.values(ci.jobs)[0]!;
    const runs = job.steps!.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test'])
      expect(runs).toContain(cmd);
    expect(Object.keys(job.services ?? {})).toContain('postgres');
  });

  it('CI installs terraform without its wrapper, so npm test runs the Terraform checks', () => {
    const steps = Object.values(load('ci.yml').jobs)[0]!.steps!;
    const tf = steps.findIndex((s) => s.uses?.startsWith('hashicorp/setup-terraform@'));
    expect(tf).toBeGreaterThanOrEqual(0);
    expect(steps[tf]!.with).toMatchObject({ terraform_wrapper: false });
    expect(String(steps[tf]!.with!.terraform_version)).toMatch(/^1\.1[1-9]\./);
    expect(tf).toBeLessThan(steps.findIndex((s) => s.run === 'npm test'));
  });

  it('release runs the whole CI first and pushes images to ECR only when it passed', () => {
    const release = load('release.yml');
    const ci = load('ci.yml');
    expect(JSON.stringify(release.on)).toMatch(/tags/);
    expect(Object.keys(ci.on as Record<string, unknown>)).toContain('workflow_call');
    const [testJob] = Object.entries(release.jobs).find(([, j]) => j.uses === './.github/workflows/ci.yml')!;
    const pushing = Object.entries(release.jobs).filter(([, j]) =>
      (j.steps ?? []).some((s) => (s.run ?? '').includes('./push_to_ecr.sh')),
    );
    expect(pushing.length).toBe(1);
    expect([pushing[0]![1].needs].flat()).toContain(testJob);
  });
});
