import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

async function reachable(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The PostgreSQL server to use: DATABASE_URL when set; else the server on
 * 127.0.0.1:5432; else a private cluster from Debian's binaries under `.local/pg`.
 * Returns an admin URL (database `postgres`) and a stop function for a private cluster.
 */
export async function ensurePostgres(
  localDir: string,
  log: (m: string) => void,
): Promise<{ adminUrl: string; stop(): void }> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/postgres';
    return { adminUrl: url.toString(), stop: () => undefined };
  }
  const system = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await reachable(system)) return { adminUrl: system, stop: () => undefined };
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    throw new Error(
      'No PostgreSQL: set DATABASE_URL, run a server on 127.0.0.1:5432, or install Debian postgresql binaries.',
    );
  const bin = `/usr/lib/postgresql/${versions[0]}/bin`;
  const dataDir = path.join(localDir, 'pg');
  const port = 55432;
  const privateUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // Already started by another command of this checkout (npm start, a bench): share it, leave it running.
  if (await reachable(privateUrl)) return { adminUrl: privateUrl, stop: () => undefined };
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising a private PostgreSQL cluster in ${dataDir}`);
    mkdirSync(dataDir, { recursive: true });
    if (asUser.length) spawnSync('chown', ['-R', 'postgres', dataDir]);
    const r = spawnSync(
      asUser[0] ?? `${bin}/initdb`,
      [
        ...asUser.slice(1),
        ...(asUser.length ? [`${bin}/initdb`] : []),
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('initdb failed');
  }
  const ctl = (...args: string[]) =>
    spawnSync(
      asUser[0] ?? `${bin}/pg_ctl`,
      [...asUser.slice(1), ...(asUser.length ? [`${bin}/pg_ctl`] : []), ...args],
      { stdio: 'inherit' },
    );
  log(`starting a private PostgreSQL on 127.0.0.1:${port} (data in ${dataDir}); stopped at the end`);
  const r = ctl(
    '-D',
    dataDir,
    '-l',
    path.join(dataDir, 'server.log'),
    '-o',
    `-p ${port} -k /tmp -c listen_addresses=127.0.0.1`,
    '-w',
    'start',
  );
  if (r.status !== 0) throw new Error('pg_ctl start failed');
  return {
    adminUrl: privateUrl,
    stop: () => {
      log(`stopping the private PostgreSQL on 127.0.0.1:${port}`);
      ctl('-D', dataDir, '-m', 'fast', 'stop');
    },
  };
}

/** Creates a database if missing and returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
