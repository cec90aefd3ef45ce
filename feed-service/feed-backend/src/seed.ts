import { Client } from 'pg';
import { argon2Hasher } from './domain/passwords';

/** The dev password of the seeded accounts (documented in the README; never used outside dev). */
export const DEMO_PASSWORD = 'ticketslave-demo-2024';
const ACCOUNTS = [
  { email: 'admin@ticketslave.local', role: 'admin' },
  { email: 'organiser@ticketslave.local', role: 'organiser' },
  { email: 'fan@ticketslave.local', role: 'fan' },
] as const;
const DEMO_TITLE = 'TicketSlave Live: Demo Night';

/**
 * Idempotent dev seed: three verified accounts and one published demo event whose sale
 * opens ~10 minutes after seeding. A demo event whose sale has not started yet is kept;
 * otherwise a fresh one is created through the API, so it reaches Kafka like any other.
 */
export async function seedDemo(opts: { feedUrl: string; databaseUrl: string }): Promise<string[]> {
  const db = new Client({ connectionString: opts.databaseUrl });
  await db.connect();
  const lines: string[] = [];
  try {
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
    const existing = await db.query<{ id: string; sale_starts_at: Date }>(
      `SELECT e.id, e.sale_starts_at FROM feed.events e JOIN feed.users u ON u.id = e.organiser_id
       WHERE u.email = 'organiser@ticketslave.local' AND e.title = $1 AND e.status = 'published'
         AND e.sale_starts_at > now() ORDER BY e.created_at DESC LIMIT 1`,
      [DEMO_TITLE],
    );
    const kept = existing.rows[0];
    const event = kept ?? (await createDemoEvent(opts.feedUrl));
    lines.push(
      `demo event ${event.id}: sale opens ${new Date(event.sale_starts_at).toISOString()} → http://localhost:8080/feed/events/${event.id}`,
    );
  } finally {
    await db.end();
  }
  return lines;
}

async function createDemoEvent(feedUrl: string): Promise<{ id: string; sale_starts_at: Date }> {
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
  const headers = { 'content-type': 'application/json', cookie: session };
  const saleStartsAt = new Date(Date.now() + 10 * 60_000);
  const created = await fetch(`${feedUrl}/feed/api/organiser/events`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      title: DEMO_TITLE,
      artist: 'The Fair Queues',
      description:
        'A demo on-sale: join the queue before the sale opens; everyone who joins early gets a fair, verifiable random place.',
      venue: 'Demo Arena',
      city: 'Lisbon',
      saleStartsAt: saleStartsAt.toISOString(),
      startsAt: new Date(Date.now() + 30 * 24 * 3600_000).toISOString(),
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
        {
          id: 'standing',
          name: 'Standing (GA)',
          kind: 'ga',
          priceMinor: 4900,
          currency: 'EUR',
          capacity: 500,
        },
      ],
    }),
  });
  if (created.status !== 201)
    throw new Error(`demo event not created: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const published = await fetch(`${feedUrl}/feed/api/organiser/events/${id}/publish`, {
    method: 'POST',
    headers,
  });
  if (!published.ok)
    throw new Error(`demo event not published: ${published.status} ${await published.text()}`);
  return { id, sale_starts_at: saleStartsAt };
}
