import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ensureKafkaJars, isKafkaReachable, startKafka } from '../kafka/broker';
import { startGateway } from '../gateway/gateway';
import { startAllStandIns } from '../standins';
import { startStripeStandIn } from '../stripe';
import { ensureFrontendBuilds } from './frontends';
import { ensureDevSecrets } from './keys';
import { GATEWAY_PORT, KAFKA_PORTS, LOCAL, SERVICE_NAMES, SERVICE_PORTS, STRIPE_PORT } from './paths';
import { ensureDatabase, ensurePostgres } from './postgres';
import { spawnService, waitForHealthy, type ServiceProcess } from './processes';
import { serviceEnv, serviceLogFile } from './service-env';

export interface Platform {
  url: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

const log = (m: string) => console.log(`[platform] ${m}`);

/**
 * Brings up the whole platform on this machine: Kafka, PostgreSQL, the stand-ins,
 * the five services and the gateway. Everything started is stopped in reverse.
 */
export async function startPlatform(opts: { database?: string } = {}): Promise<Platform> {
  const t0 = Date.now();
  const stops: { name: string; stop: () => Promise<void> | void }[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        console.error(`[platform] stopping ${s.name} failed:`, err);
      }
    }
  };
  try {
    mkdirSync(LOCAL, { recursive: true });
    const [secrets, libs] = await Promise.all([
      ensureDevSecrets(path.join(LOCAL, 'keys')),
      ensureKafkaJars(),
      ensureFrontendBuilds(log),
    ]);
    void libs;
    const brokers = [`127.0.0.1:${KAFKA_PORTS.port}`];
    if (await isKafkaReachable(brokers, 1500)) log('Kafka already running on 9092; using it');
    else {
      log('starting Kafka (KRaft) on 127.0.0.1:9092');
      const broker = await startKafka({ ...KAFKA_PORTS, dataDir: path.join(LOCAL, 'kafka'), heapMb: 768 });
      stops.push({ name: 'kafka', stop: () => broker.stop() });
    }
    const pg = await ensurePostgres(LOCAL, log);
    stops.push({ name: 'postgres', stop: () => pg.stop() });
    const databaseUrl = await ensureDatabase(pg.adminUrl, opts.database ?? 'ticketslave');

    const standins = await startAllStandIns({
      dataDir: path.join(LOCAL, 'standins'),
      buckets: ['ticketslave-images'],
    });
    stops.push({ name: 'stand-ins', stop: () => standins.stop() });
    const stripe = await startStripeStandIn({
      port: STRIPE_PORT,
      webhookUrl: `http://127.0.0.1:${SERVICE_PORTS.payment}/payment/api/stripe/webhook`,
      webhookSecret: secrets.stripeWebhookSecret,
      publicBaseUrl: `http://localhost:${STRIPE_PORT}`,
      dataFile: path.join(LOCAL, 'standins', 'stripe.json'),
    });
    stops.push({ name: 'stripe', stop: () => stripe.stop() });

    const publicBaseUrl = `http://localhost:${GATEWAY_PORT}`;
    const procs: ServiceProcess[] = SERVICE_NAMES.map((svc) =>
      spawnService(
        svc,
        serviceEnv(svc, secrets, { databaseUrl, kafkaBrokers: brokers, publicBaseUrl, localDir: LOCAL }),
        serviceLogFile(LOCAL, svc),
      ),
    );
    stops.push({
      name: 'services',
      stop: () => Promise.all(procs.map((p) => p.stop())).then(() => undefined),
    });
    await Promise.all(
      procs.map(async (p) => {
        try {
          await waitForHealthy(`http://127.0.0.1:${SERVICE_PORTS[p.name]}/${p.name}/readyz`, p.child, 90_000);
        } catch (err) {
          throw new Error(
            `${p.name} did not become ready (${(err as Error).message}); see ${serviceLogFile(LOCAL, p.name)}`,
          );
        }
      }),
    );
    const gateway = await startGateway({
      port: GATEWAY_PORT,
      routes: Object.fromEntries(SERVICE_NAMES.map((s) => [`/${s}`, `http://127.0.0.1:${SERVICE_PORTS[s]}`])),
    });
    stops.push({ name: 'gateway', stop: () => gateway.stop() });
    log(`all five services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { url: publicBaseUrl, databaseUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
