import path from 'node:path';
import { startBeacon, type BeaconInfo } from './beacon';
import type { StandIn } from './http-util';
import { startOidc } from './oidc';
import { startS3 } from './s3';
import { startSmtp, type SmtpStandIn } from './smtp';

export type { StandIn } from './http-util';
export { startS3, s3ClientOptionsForStandIn, S3_STANDIN_CREDENTIALS, type S3StandInOptions } from './s3';
export {
  startSmtp,
  waitForMail,
  type InboxMessage,
  type SmtpStandIn,
  type SmtpStandInOptions,
  type WaitForMailOptions,
} from './smtp';
export {
  startOidc,
  DEV_OIDC_CLIENT,
  DEV_OIDC_USERS,
  type OidcClient,
  type OidcStandIn,
  type OidcStandInOptions,
  type OidcUser,
} from './oidc';
export {
  startBeacon,
  beaconSecretKey,
  randomBeaconSecretKey,
  type BeaconInfo,
  type BeaconRound,
  type BeaconStandInOptions,
} from './beacon';

/** The ports the local platform uses (README.md). */
export const STANDIN_PORTS = { s3: 9000, smtp: 2525, inbox: 8025, oidc: 9400, beacon: 9500 } as const;

export interface AllStandIns {
  s3: StandIn;
  smtp: SmtpStandIn;
  oidc: StandIn & { issuer: string };
  beacon: StandIn & { info: BeaconInfo };
  stop(): Promise<void>;
}

/** Starts every stand-in on the platform ports; on a partial failure, stops what did start. */
export async function startAllStandIns(opts: {
  dataDir: string;
  buckets?: string[];
  host?: string;
  ports?: Partial<Record<keyof typeof STANDIN_PORTS, number>>;
}): Promise<AllStandIns> {
  const ports = { ...STANDIN_PORTS, ...opts.ports };
  const host = opts.host ?? '127.0.0.1';
  const started: StandIn[] = [];
  const track = <T extends StandIn>(s: T): T => (started.push(s), s);
  const stop = async () => {
    for (const s of started.reverse()) await s.stop();
  };
  try {
    const s3 = track(
      await startS3({ port: ports.s3, host, dataDir: path.join(opts.dataDir, 's3'), buckets: opts.buckets }),
    );
    const smtp = track(await startSmtp({ port: ports.smtp, httpPort: ports.inbox, host }));
    const oidc = track(await startOidc({ port: ports.oidc, host }));
    const beacon = track(
      await startBeacon({ port: ports.beacon, host, keyFile: path.join(opts.dataDir, 'beacon', 'key.json') }),
    );
    return { s3, smtp, oidc, beacon, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
