import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { IMMUTABLE_CACHE, NO_CACHE, isHashed, planUploads, publish } from '../scripts/publish-assets';
import { REPO_ROOT, SERVICES } from './support/hcl';

const SCRIPTS = ['push_to_ecr.sh', 'deploy.sh'];
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('shell scripts', () => {
  (hasShellcheck ? it : it.skip)('are shellcheck clean (install: apt-get install shellcheck)', () => {
    const res = spawnSync('shellcheck', ['--severity=style', ...SCRIPTS], { cwd: REPO_ROOT, encoding: 'utf8' });
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
    const order = ['tf init', 'tf plan', 'read -r', 'tf apply', 'publish-assets.ts', 'update-service', 'services-stable'].map((s) => src.indexOf(s));
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
    expect(plan.find((u) => u.key === 'feed/assets/index-AbCd1234.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8', cacheControl: IMMUTABLE_CACHE });
    expect(plan.find((u) => u.key === 'queue/assets/fonts/inter-Q1w2E3r4.woff2')).toMatchObject({ contentType: 'font/woff2', cacheControl: IMMUTABLE_CACHE });
    expect(plan.find((u) => u.key === 'payment/assets/robots.txt')).toMatchObject({ cacheControl: NO_CACHE });
    expect(isHashed('index-Zz9_-xY8.css')).toBe(true);
    expect(isHashed('logo.svg')).toBe(false);
  });

  it('refuses to publish when a frontend has not been built', () => {
    expect(() => planUploads(root, ['nope'])).toThrow(/npm run build -w @ticketslave\/nope-frontend/);
  });

  it('skips hashed files already in the bucket and uploads the rest with their headers', async () => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const present = new Set(['feed/assets/index-AbCd1234.js']);
    const client = {
      send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: cmd.constructor.name, input: cmd.input });
        if (cmd.constructor.name === 'HeadObjectCommand' && !present.has(String(cmd.input.Key))) {
          throw Object.assign(new Error('NotFound'), { $metadata: { httpStatusCode: 404 } });
        }
        return {};
      },
    } as unknown as S3Client;
    const plan = planUploads(root, ['feed']);
    const result = await publish(client, 'assets-bucket', plan, () => undefined);
    expect(result).toEqual({ uploaded: 3, skipped: 1 });
    const puts = sent.filter((s) => s.name === 'PutObjectCommand').map((s) => s.input);
    expect(puts.map((p) => p.Key)).not.toContain('feed/assets/index-AbCd1234.js');
    expect(puts.find((p) => p.Key === 'feed/assets/index-Zz9_-xY8.css')).toMatchObject({ Bucket: 'assets-bucket', ContentType: 'text/css; charset=utf-8', CacheControl: IMMUTABLE_CACHE });
  });
});

describe('GitHub workflows', () => {
  const load = (name: string): { on: unknown; jobs: Record<string, { services?: Record<string, unknown>; steps: { run?: string }[] }> } =>
    parse(readFileSync(path.join(REPO_ROOT, '.github', 'workflows', name), 'utf8'));

  it('CI lints, typechecks and runs the full tests with PostgreSQL (npm test fetches Kafka itself)', () => {
    const ci = load('ci.yml');
    const job = Object.values(ci.jobs)[0]!;
    const runs = job.steps.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']) expect(runs).toContain(cmd);
    expect(Object.keys(job.services ?? {})).toContain('postgres');
  });

  it('release pushes images to ECR on a tag', () => {
    const release = load('release.yml');
    expect(JSON.stringify(release.on)).toMatch(/tags/);
    const runs = Object.values(release.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
    expect(runs).toContain('./push_to_ecr.sh');
  });
});
