import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { s3ClientOptionsForStandIn, startS3 } from './s3';
import type { StandIn } from './http-util';

describe('S3 stand-in with @aws-sdk/client-s3 v3', () => {
  let dataDir: string;
  let s3: StandIn;
  let client: S3Client;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 's3-standin-'));
    s3 = await startS3({
      port: 0,
      dataDir,
      buckets: ['event-images'],
      credentials: [{ accessKeyId: 'dev-key', secretAccessKey: 'dev-secret' }],
    });
    client = new S3Client(s3ClientOptionsForStandIn(s3.url));
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores an object and returns the same bytes and content type', async () => {
    const body = Buffer.from('\x89PNG fake image bytes');
    await client.send(
      new PutObjectCommand({
        Bucket: 'event-images',
        Key: 'events/1/poster.png',
        Body: body,
        ContentType: 'image/png',
      }),
    );

    const got = await client.send(
      new GetObjectCommand({ Bucket: 'event-images', Key: 'events/1/poster.png' }),
    );
    expect(got.ContentType).toBe('image/png');
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);

    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'event-images', Key: 'events/1/poster.png' }),
    );
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentType).toBe('image/png');
  });

  it('stores a streamed upload byte for byte, without aws-chunked framing', async () => {
    // SDK defaults would frame this body with a CRC32 trailer that s3rver stores verbatim.
    const parts = [Buffer.from('hello '), Buffer.from('stream')];
    await client.send(
      new PutObjectCommand({
        Bucket: 'event-images',
        Key: 'streamed',
        Body: Readable.from(parts),
        ContentLength: 12,
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: 'event-images', Key: 'streamed' }));
    expect(await got.Body!.transformToString()).toBe('hello stream');
  });

  it('lists objects under a prefix', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'event-images', Key: 'events/2/a.txt', Body: 'a' }));
    await client.send(new PutObjectCommand({ Bucket: 'event-images', Key: 'events/2/b.txt', Body: 'b' }));
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: 'event-images', Prefix: 'events/2/' }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['events/2/a.txt', 'events/2/b.txt']);
  });

  it('reports a missing object as NotFound', async () => {
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'event-images', Key: 'nope' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('accepts extra configured credentials and rejects unknown ones', async () => {
    const devClient = new S3Client(
      s3ClientOptionsForStandIn(s3.url, { accessKeyId: 'dev-key', secretAccessKey: 'dev-secret' }),
    );
    await devClient.send(new PutObjectCommand({ Bucket: 'event-images', Key: 'k', Body: 'v' }));
    devClient.destroy();

    const stranger = new S3Client(
      s3ClientOptionsForStandIn(s3.url, { accessKeyId: 'stranger', secretAccessKey: 'x' }),
    );
    const err = await stranger
      .send(new PutObjectCommand({ Bucket: 'event-images', Key: 'k', Body: 'v' }))
      .catch((e: unknown) => e);
    stranger.destroy();
    expect(err).toBeInstanceOf(S3ServiceException);
    expect((err as S3ServiceException).name).toBe('InvalidAccessKeyId');
  });

  it('answers browser CORS preflights for the configured bucket', async () => {
    const res = await fetch(`${s3.url}/event-images/events/1/poster.png`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8080', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('keeps objects on disk across a restart', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'event-images', Key: 'durable', Body: 'still here' }));
    await s3.stop();
    s3 = await startS3({ port: 0, dataDir, buckets: ['event-images'] });
    client.destroy();
    client = new S3Client(s3ClientOptionsForStandIn(s3.url));
    const got = await client.send(new GetObjectCommand({ Bucket: 'event-images', Key: 'durable' }));
    expect(await got.Body!.transformToString()).toBe('still here');
  });
});
