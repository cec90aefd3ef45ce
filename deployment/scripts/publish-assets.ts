/**
 * Publishes each service's built frontend assets (`<svc>-service/<svc>-frontend/dist/assets/*`,
 * content-hashed by Vite) to the assets bucket under `<svc>/assets/`, which CloudFront serves
 * at `/<svc>/assets/*` — the URLs index.html gets when ASSET_BASE_URL is set.
 *
 * Hashed files are immutable: a year of cache, and a file already in the bucket is skipped.
 * index.html is NOT published: each backend serves it (no-cache) with the asset URLs rewritten.
 * Nothing is deleted, so pages opened before a deploy keep finding their old assets; the
 * bucket's lifecycle rule handles old versions.
 *
 *   node --import tsx deployment/scripts/publish-assets.ts --bucket <name> [--root <repo>] [--dry-run]
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const SERVICES = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const NO_CACHE = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

export interface Upload {
  file: string;
  key: string;
  contentType: string;
  cacheControl: string;
}

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Vite names assets `<name>-<hash>.<ext>` (hash of 8+ base64url chars). */
export function isHashed(file: string): boolean {
  return /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path.basename(file));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** What to upload for every service whose frontend has been built; throws if one has not. */
export function planUploads(root: string, services: readonly string[] = SERVICES): Upload[] {
  return services.flatMap((svc) => {
    const assetsDir = path.join(root, `${svc}-service`, `${svc}-frontend`, 'dist', 'assets');
    if (!existsSync(assetsDir)) throw new Error(`${assetsDir} is missing: run npm run build -w @ticketslave/${svc}-frontend`);
    return walk(assetsDir)
      .sort()
      .map((file) => ({
        file,
        key: `${svc}/assets/${path.relative(assetsDir, file).split(path.sep).join('/')}`,
        contentType: contentTypeOf(file),
        // An unhashed file (copied from public/) may change under the same name.
        cacheControl: isHashed(file) ? IMMUTABLE_CACHE : NO_CACHE,
      }));
  });
}

async function exists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || status === 403) return false;
    throw err;
  }
}

export async function publish(
  client: S3Client,
  bucket: string,
  uploads: Upload[],
  log: (line: string) => void = console.log,
): Promise<{ uploaded: number; skipped: number }> {
  let uploaded = 0;
  let skipped = 0;
  for (const u of uploads) {
    if (u.cacheControl === IMMUTABLE_CACHE && (await exists(client, bucket, u.key))) {
      skipped++;
      continue;
    }
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: u.key, Body: readFileSync(u.file), ContentType: u.contentType, CacheControl: u.cacheControl }),
    );
    uploaded++;
    log(`publish-assets: s3://${bucket}/${u.key} (${u.cacheControl})`);
  }
  return { uploaded, skipped };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const bucket = arg(argv, '--bucket');
  if (!bucket) throw new Error('usage: publish-assets --bucket <name> [--root <repo>] [--dry-run]');
  const root = path.resolve(arg(argv, '--root') ?? path.join(__dirname, '..', '..'));
  const uploads = planUploads(root);
  if (argv.includes('--dry-run')) {
    for (const u of uploads) console.log(`${u.key}\t${u.contentType}\t${u.cacheControl}`);
    return;
  }
  // Region and credentials come from the standard AWS chain (deploy.sh exports AWS_REGION).
  const result = await publish(new S3Client({}), bucket, uploads);
  console.log(`publish-assets: ${result.uploaded} uploaded, ${result.skipped} already there`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
