import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { IMMUTABLE_CACHE, NO_CACHE, isHashed, planUploads, publish } from '../scripts/publish-assets';
import { s3ClientOptionsForStandIn, startS3, type StandIn } from '../../dev/standins';
import { REPO_ROOT, SERVICES } from './support/hcl';

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

  it('deploy.sh plans, asks before applying, publishes assets and rolls the services', () => {
    const src = readFileSync(path.join(REPO_ROOT, 'deploy.sh'), 'utf8');
    const order = [
      'tf init',
      'tf plan',
      'read -r',
      'tf apply',
      'publish-assets.ts',
      'update-service',
      'services-stable',
    ].map((s) => src.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(src).toMatch(/environments\/\$\{ENVIRONMENT\}\.s3\.tfbackend/);
    const usage = spawnSync('bash', [path.join(REPO_ROOT, 'deploy.sh'), 'nowhere'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
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
