import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '@ticketslave/common';

/**
 * In AWS every service connects to RDS with DATABASE_URL ending in
 * `?sslmode=verify-full&sslrootcert=<the RDS CA bundle in the image>` (modules/rds, Dockerfile).
 * This plays it locally: a throwaway PostgreSQL that, like RDS with rds.force_ssl, takes TLS
 * connections only, on a certificate from a private CA; the services' own connection code (the
 * kit's TypeORM data source, and the plain pg client the outbox relay and LISTENers open) gets
 * the same kind of URL, with the CA file's path in sslrootcert.
 */
const versions = existsSync('/usr/lib/postgresql')
  ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
  : [];
const hasTools = versions.length > 0 && spawnSync('openssl', ['version']).status === 0;
if (!hasTools) process.stderr.write('no PostgreSQL binaries or openssl: RDS TLS checks skipped\n');
const describeTls = hasTools ? describe : describe.skip;

const BIN = `/usr/lib/postgresql/${versions[0] ?? ''}/bin`;
const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];

function run(cmd: string, args: string[], cwd?: string): void {
  const full = [...asPostgres, cmd, ...args];
  const r = spawnSync(full[0]!, full.slice(1), { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed: ${r.stderr}`);
}

const openssl = (dir: string, ...args: string[]) => run('openssl', args, dir);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describeTls('DATABASE_URL with sslmode=verify-full against a private CA (what RDS asks of the image)', () => {
  let dir: string;
  let port: number;
  let caFile: string;
  let wrongCaFile: string;
  const url = (host: string, query: string) => `postgres://postgres@${host}:${port}/postgres?${query}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rds-tls-'));
    chmodSync(dir, 0o777);
    if (asPostgres.length) spawnSync('chown', ['postgres', dir]);
    const ssl = (...args: string[]) => openssl(dir, ...args);
    for (const ca of ['ca', 'wrong-ca'])
      ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=TicketSlave test ${ca}`,
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.crt`,
      );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    );
    chmodSync(path.join(dir, 'server.key'), 0o600);
    caFile = path.join(dir, 'ca.crt');
    wrongCaFile = path.join(dir, 'wrong-ca.crt');

    const data = path.join(dir, 'data');
    run(`${BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust']);
    // Like rds.force_ssl=1: TCP connections without TLS are refused.
    writeFileSync(
      path.join(data, 'pg_hba.conf'),
      'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n',
    );
    port = await freePort();
    run(`${BIN}/pg_ctl`, [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      'start',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=${dir}/server.crt -c ssl_key_file=${dir}/server.key`,
    ]);
  }, 120_000);

  afterAll(() => {
    if (!dir) return;
    spawnSync(asPostgres[0] ?? `${BIN}/pg_ctl`, [
      ...asPostgres.slice(1),
      ...(asPostgres.length ? [`${BIN}/pg_ctl`] : []),
      '-D',
      path.join(dir, 'data'),
      '-m',
      'immediate',
      'stop',
    ]);
    rmSync(dir, { recursive: true, force: true });
  });

  const verifyFull = (ca: string) => `sslmode=verify-full&sslrootcert=${ca}`;

  it("when the CA is the server certificate's, the kit's data source connects over TLS", async () => {
    const ds = createDataSource({ url: url('localhost', verifyFull(caFile)), schema: 'public', poolSize: 1 });
    await ds.initialize();
    try {
      const rows = await ds.query<{ ssl: boolean }[]>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await ds.destroy();
    }
  });

  it("when the CA is the server certificate's, a plain pg client (outbox relay, LISTEN) connects over TLS", async () => {
    const c = new Client({ connectionString: url('localhost', verifyFull(caFile)) });
    await c.connect();
    try {
      const { rows } = await c.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await c.end();
    }
  });

  it('when the bundle is another CA, the connection is refused before any query', async () => {
    const ds = createDataSource({
      url: url('localhost', verifyFull(wrongCaFile)),
      schema: 'public',
      poolSize: 1,
    });
    await expect(ds.initialize()).rejects.toThrow(/self[- ]signed certificate|unable to (get|verify)/i);
    const c = new Client({ connectionString: url('localhost', verifyFull(wrongCaFile)) });
    await expect(c.connect()).rejects.toThrow(/self[- ]signed certificate|unable to (get|verify)/i);
  });

  it("when the host name is not the certificate's, verify-full refuses it", async () => {
    const c = new Client({ connectionString: url('127.0.0.1', verifyFull(caFile)) });
    await expect(c.connect()).rejects.toThrow(/does not match|altnames/i);
  });

  it('when the client does not use TLS, the server refuses it (as rds.force_ssl does)', async () => {
    const c = new Client({ connectionString: url('localhost', 'sslmode=disable') });
    await expect(c.connect()).rejects.toThrow(/no encryption|pg_hba\.conf rejects/i);
  });
});
