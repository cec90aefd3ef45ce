import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { urlHost, type StandIn } from './http-util';

export interface S3StandInOptions {
  port: number;
  host?: string;
  /** Where objects live on disk; survives restarts so uploaded images stay. */
  dataDir?: string;
  buckets?: string[];
  /** Extra key pairs accepted besides S3RVER/S3RVER, e.g. what a service's dev config holds. */
  credentials?: { accessKeyId: string; secretAccessKey: string }[];
}

/** s3rver verifies SigV4 signatures and only knows this key pair out of the box. */
export const S3_STANDIN_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

// Browsers upload and fetch images straight from the bucket in dev, from whatever port the
// frontend happens to be served on, so nothing is worth restricting here.
const PERMISSIVE_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/**
 * Client settings every service must use against the stand-in.
 *
 * - forcePathStyle: s3rver would otherwise need `<bucket>.localhost` DNS.
 * - WHEN_REQUIRED checksums: SDK v3 >= 3.729 computes CRC32 checksums by default, and for
 *   streamed bodies sends them as an aws-chunked trailer. s3rver (2021) predates flexible
 *   checksums and stores the chunk framing (`6\r\nhello \r\n0\r\nx-amz-checksum-crc32:…`)
 *   as the object body. Real S3 works either way, so services can use this in every env.
 */
export function s3ClientOptionsForStandIn(
  url: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = S3_STANDIN_CREDENTIALS,
): S3ClientConfig {
  return {
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { ...credentials },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

type AccountRegistry = {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

export async function startS3(opts: S3StandInOptions): Promise<StandIn> {
  const host = opts.host ?? '127.0.0.1';
  const directory = opts.dataDir ?? path.join(os.tmpdir(), `ticketslave-s3-${process.pid}`);
  await mkdir(directory, { recursive: true });
  if (opts.credentials?.length) {
    // s3rver has no public API for key pairs; its account registry is the only hook.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const account = require('s3rver/lib/models/account') as AccountRegistry;
    for (const c of opts.credentials) account.DUMMY_ACCOUNT.createKeyPair(c.accessKeyId, c.secretAccessKey);
  }
  const server = new S3rver({
    address: host,
    port: opts.port,
    directory,
    silent: true,
    // Path-style only: vhost detection would treat `localhost:9000` oddly behind the gateway.
    vhostBuckets: false,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name, configs: [PERMISSIVE_CORS] })),
  });
  const address: AddressInfo = await server.run();
  const url = `http://${urlHost(host)}:${address.port}`;
  return {
    url,
    port: address.port,
    stop: () => server.close(),
  };
}
