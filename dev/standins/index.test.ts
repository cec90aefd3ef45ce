import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startAllStandIns, startSmtp } from './index';

describe('startAllStandIns', () => {
  it('starts every stand-in and stops them all', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'standins-'));
    const all = await startAllStandIns({
      dataDir,
      buckets: ['images'],
      ports: { s3: 0, smtp: 0, inbox: 0, oidc: 0, beacon: 0 },
    });
    try {
      expect((await fetch(`${all.oidc.url}/.well-known/openid-configuration`)).status).toBe(200);
      expect((await fetch(`${all.beacon.url}/info`)).status).toBe(200);
      expect((await fetch(`${all.smtp.inboxUrl}/messages`)).status).toBe(200);
      expect(
        (
          await fetch(`${all.s3.url}/images`, {
            method: 'OPTIONS',
            headers: { origin: 'http://x', 'access-control-request-method': 'GET' },
          })
        ).status,
      ).toBe(200);
    } finally {
      await all.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    await expect(fetch(`${all.beacon.url}/info`)).rejects.toThrow();
  });

  it('stops what it started when a later stand-in cannot bind its port', async () => {
    const blocker = await startSmtp({ port: 0, httpPort: 0 });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'standins-'));
    try {
      await expect(
        startAllStandIns({ dataDir, ports: { s3: 0, smtp: blocker.port, inbox: 0, oidc: 0, beacon: 0 } }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await blocker.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
