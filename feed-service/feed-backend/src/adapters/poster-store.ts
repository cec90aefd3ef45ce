import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FeedConfig } from '../config';

/**
 * Where posters live in the images bucket. The key is also the public URL's path under
 * S3_PUBLIC_BASE_URL: in AWS, CloudFront serves `/images/*` from the images bucket with the path
 * as the key, and feed's task role may write only under this prefix (deployment/ checks both).
 */
export const POSTER_KEY_PREFIX = 'images/posters/';

export interface PosterStore {
  /** Stores the image and returns its public URL. */
  put(eventId: string, body: Buffer, contentType: string, ext: string): Promise<string>;
}

export function s3PosterStore(config: FeedConfig): PosterStore {
  const client = new S3Client({
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? {
          credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
        }
      : {}),
    // Real S3 is fine either way; S3-compatible stores without flexible checksums would
    // otherwise keep the aws-chunked framing inside the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const publicBase = (
    config.S3_PUBLIC_BASE_URL ?? `https://${config.S3_BUCKET_IMAGES}.s3.${config.S3_REGION}.amazonaws.com`
  ).replace(/\/$/, '');
  return {
    put: async (eventId, body, contentType, ext) => {
      // A new key per upload: CDNs and browsers may cache the old poster forever.
      const key = `${POSTER_KEY_PREFIX}${eventId}/${randomBytes(8).toString('hex')}.${ext}`;
      await client.send(
        new PutObjectCommand({
          Bucket: config.S3_BUCKET_IMAGES,
          Key: key,
          Body: body,
          ContentType: contentType,
          CacheControl: 'public, max-age=31536000, immutable',
        }),
      );
      return `${publicBase}/${key}`;
    },
  };
}

/** The image type from its first bytes; the declared Content-Type is not trusted. */
export function sniffImage(buf: Buffer): { contentType: string; ext: string } | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff)
    return { contentType: 'image/jpeg', ext: 'jpg' };
  if (
    buf.length >= 8 &&
    buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return { contentType: 'image/png', ext: 'png' };
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP')
    return { contentType: 'image/webp', ext: 'webp' };
  return undefined;
}
