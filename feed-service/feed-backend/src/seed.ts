import { lockKeySql } from '@ticketslave/common';
import { Client } from 'pg';
import { argon2Hasher } from './domain/passwords';
import { runAdminCommand } from './admin';

/** The dev password of the seeded accounts (documented in the README; never used outside dev). */
export const DEMO_PASSWORD = 'ticketslave-demo-2024';
const ACCOUNTS = [
  { email: 'admin@ticketslave.local', role: 'admin' },
  { email: 'organiser@ticketslave.local', role: 'organiser' },
  { email: 'fan@ticketslave.local', role: 'fan' },
] as const;
/** The demo event's key: the organiser's event with this title (never two upcoming at once). */
const DEMO_TITLE = 'TicketSlave Live: Demo Night';
/** Cancel reason the seed gives a demo whose sale is over; the next run prunes those rows. */
const SEED_CANCEL_REASON = 'demo sale over; the dev seed made a fresh one';
const SALE_LEAD_MS = 10 * 60_000;

interface DemoRow {
  id: string;
  status: 'draft' | 'published';
  sale_starts_at: Date | null;
  sold: number | null;
  held: number | null;
}

/**
 * Idempotent dev seed: three verified accounts and at most one upcoming demo event, whose
 * sale opens ~10 minutes after it was (re)made. Run after run:
 * - a published demo whose sale has not opened yet is kept as it is;
 * - a draft demo (a run that stopped before publishing) is re-timed and published;
 * - a published demo whose sale is over and that nobody bought from is cancelled (through the
 *   API, so every service hears `event.cancelled`) and a fresh one is made; the rows of demos
 *   an earlier run cancelled that way are removed, so they do not pile up in the dashboard;
 * - a published demo whose sale is over but that has tickets sold or held is left on sale,
 *   and no second one is made (cancel it in the dashboard to get a fresh demo next time).
 * Changes to events go through the API, so they reach Kafka like any other. Runs of the seed
 * take turns under an advisory lock.
 */
export async function seedDemo(opts: { feedUrl: string; databaseUrl: string }): Promise<string[]> {
  const db = new Client({ connectionString: opts.databaseUrl });
  await db.connect();
  const lines: string[] = [];
  try {
    await db.query(`SELECT pg_advisory_lock(${lockKeySql('feed.seed')})`);
    const hash = await argon2Hasher(19456).hash(DEMO_PASSWORD);
    for (const a of ACCOUNTS) {
      await db.query(
        `INSERT INTO feed.users (email, password_hash, role, email_verified) VALUES ($1, $2, $3, true)
         ON CONFLICT (email) DO UPDATE SET role = EXCLUDED.role, email_verified = true`,
        [a.email, hash, a.role],
      );
    }
    lines.push(
      `accounts (password "${DEMO_PASSWORD}"): ${ACCOUNTS.map((a) => `${a.email} (${a.role})`).join(', ')}`,
    );
    // The demo organiser owns an organisation, made (and announced) the way the admin command makes one.
    const { rowCount: member } = await db.query(
      `SELECT 1 FROM feed.organisation_members m JOIN feed.users u ON u.id = m.user_id
       WHERE u.email = 'organiser@ticketslave.local'`,
    );
    if (!member)
      await runAdminCommand(
        ['make-organiser', 'organiser@ticketslave.local', '--organisation', 'Demo Promotions'],
        {
          databaseUrl: opts.databaseUrl,
          out: () => undefined,
        },
      );
    await db.query(
      `DELETE FROM feed.events e USING feed.users u
       WHERE u.id = e.organiser_id AND u.email = 'organiser@ticketslave.local' AND e.title = $1
         AND e.status = 'cancelled' AND e.cancel_reason = $2`,
      [DEMO_TITLE, SEED_CANCEL_REASON],
    );
    const { rows: demos } = await db.query<DemoRow>(
      `SELECT e.id, e.status, e.sale_starts_at, s.sold, s.held
       FROM feed.events e JOIN feed.users u ON u.id = e.organiser_id
         LEFT JOIN feed.event_stats s ON s.event_id = e.id
       WHERE u.email = 'organiser@ticketslave.local' AND e.title = $1 AND e.status IN ('draft', 'published')
       ORDER BY e.created_at DESC`,
      [DEMO_TITLE],
    );
    const isBought = (d: DemoRow) => (d.sold ?? 0) > 0 || (d.held ?? 0) > 0;
    const published = demos.filter((d) => d.status === 'published');
    const keep =
      published.find((d) => d.sale_starts_at && d.sale_starts_at.getTime() > Date.now()) ??
      published.find(isBought);
    const stale = published.filter((d) => d !== keep && !isBought(d));
    const api = keep && !stale.length ? undefined : await organiserApi(opts.feedUrl);
    for (const d of stale)
      await api!(`/organiser/events/${d.id}/cancel`, 'POST', { reason: SEED_CANCEL_REASON });
    const event: { id: string; sale_starts_at: Date; note?: string } = keep
      ? {
          id: keep.id,
          sale_starts_at: keep.sale_starts_at!,
          note:
            keep.sale_starts_at!.getTime() > Date.now()
              ? undefined
              : 'tickets sold, kept on sale; cancel it in the dashboard for a fresh demo next start',
        }
      : await publishDemo(api!, demos.find((d) => d.status === 'draft')?.id);
    lines.push(
      `demo event ${event.id}: sale opens ${new Date(event.sale_starts_at).toISOString()}` +
        `${event.note ? ` (${event.note})` : ''} → http://localhost:8080/feed/events/${event.id}`,
    );
  } finally {
    await db.end();
  }
  return lines;
}

type OrganiserApi = (path: string, method: string, body?: unknown) => Promise<unknown>;

async function organiserApi(feedUrl: string): Promise<OrganiserApi> {
  const login = await fetch(`${feedUrl}/feed/api/session/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'organiser@ticketslave.local', password: DEMO_PASSWORD }),
  });
  if (!login.ok) throw new Error(`organiser login failed: ${login.status}`);
  const session = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('ts_session='))!
    .split(';')[0]!;
  return async (path, method, body) => {
    const res = await fetch(`${feedUrl}/feed/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', cookie: session },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`demo event: ${method} ${path} answered ${res.status} ${await res.text()}`);
    return res.json();
  };
}

/** Creates the demo event (or re-times the draft `draftId`) with its sale ~10 minutes away, and publishes it. */
async function publishDemo(
  api: OrganiserApi,
  draftId?: string,
): Promise<{ id: string; sale_starts_at: Date }> {
  const saleStartsAt = new Date(Date.now() + SALE_LEAD_MS);
  const input = demoInput(saleStartsAt);
  const id = draftId
    ? (await api(`/organiser/events/${draftId}`, 'PUT', input), draftId)
    : ((await api('/organiser/events', 'POST', input)) as { id: string }).id;
  await api(`/organiser/events/${id}/publish`, 'POST');
  return { id, sale_starts_at: saleStartsAt };
}

const demoInput = (saleStartsAt: Date) => ({
  title: DEMO_TITLE,
  artist: 'The Fair Queues',
  description:
    'A demo on-sale: join the queue before the sale opens; everyone who joins early gets a fair, verifiable random place.',
  venue: 'Demo Arena',
  city: 'Lisbon',
  timeZone: 'Europe/Lisbon',
  saleStartsAt: saleStartsAt.toISOString(),
  startsAt: new Date(saleStartsAt.getTime() + 30 * 24 * 3600_000).toISOString(),
  bufferGraceSeconds: 120,
  queue: { admitRatePerMinute: 60, maxActiveShoppers: 50, awayGraceSeconds: 120 },
  holdSeconds: 300,
  perUserLimit: 4,
  categories: [
    {
      id: 'floor',
      name: 'Floor (reserved)',
      kind: 'reserved',
      priceMinor: 8900,
      currency: 'EUR',
      sections: [{ name: 'Floor', rows: [{ from: 'A', to: 'J', seats: 20 }] }],
    },
    { id: 'standing', name: 'Standing (GA)', kind: 'ga', priceMinor: 4900, currency: 'EUR', capacity: 500 },
  ],
});
