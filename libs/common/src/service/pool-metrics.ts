import client from 'prom-client';
import type { Pool, PoolClient } from 'pg';

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * The service's database pool on its /metrics: `ts_db_pool_wait_seconds`, how long each
 * checkout waited for a connection (every query and transaction takes one; a full pool makes
 * them queue here, invisible in the database's own views), and `ts_db_pool_connections`
 * by state (busy, idle, waiting: checkouts queued). docs/operations.md "What to watch".
 */
export function instrumentPool(pool: Pool, registry: client.Registry): void {
  const wait = new client.Histogram({
    name: 'ts_db_pool_wait_seconds',
    help: 'Time a checkout of a database connection waited for the pool',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new client.Gauge({
    name: 'ts_db_pool_connections',
    help: "The database pool's connections by state (waiting: checkouts queued for one)",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'busy' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  // pg's Pool.connect: with a callback (TypeORM's way) or as a promise.
  const connect = pool.connect.bind(pool) as (cb?: ConnectCallback) => Promise<PoolClient> | undefined;
  pool.connect = ((cb?: ConnectCallback) => {
    const end = wait.startTimer();
    if (cb)
      return connect((err, c, done) => {
        end();
        cb(err, c, done);
      });
    return connect()!.finally(() => end());
  }) as Pool['connect'];
}
