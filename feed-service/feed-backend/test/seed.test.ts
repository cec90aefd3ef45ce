import { Client } from 'pg';
import { seedDemo, DEMO_PASSWORD } from '../src/seed';
import { startFeedHarness, type FeedHarness } from './support';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness('feedseed');
});
afterAll(() => h?.stop());

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: h.db.url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

const seed = () => seedDemo({ feedUrl: h.feed.url, databaseUrl: h.db.url });
const demos = () =>
  sql<{ id: string; status: string; sale_starts_at: Date; cancel_reason: string | null }>(
    `SELECT id, status, sale_starts_at, cancel_reason FROM feed.events ORDER BY created_at`,
  );
/** Published demos a fan can still queue for (the sale has not opened). */
const upcoming = async () =>
  (await demos()).filter((e) => e.status === 'published' && e.sale_starts_at.getTime() > Date.now());
const saleOver = (id: string) =>
  sql(`UPDATE feed.events SET sale_starts_at = now() - interval '1 minute' WHERE id = $1`, [id]);

describe('seedDemo', () => {
  it('creates the three accounts and one published demo event, and running it again changes nothing', async () => {
    const first = await seed();
    const second = await seed();
    expect(second).toEqual(first);
    const users = await sql(`SELECT email, role, email_verified FROM feed.users ORDER BY email`);
    const events = await demos();
    expect(users).toEqual([
      { email: 'admin@ticketslave.local', role: 'admin', email_verified: true },
      { email: 'fan@ticketslave.local', role: 'fan', email_verified: true },
      { email: 'organiser@ticketslave.local', role: 'organiser', email_verified: true },
    ]);
    expect(
      await sql(
        `SELECT o.name, m.role FROM feed.organisation_members m JOIN feed.organisations o ON o.id = m.organisation_id
         JOIN feed.users u ON u.id = m.user_id WHERE u.email = 'organiser@ticketslave.local'`,
      ),
    ).toEqual([{ name: 'Demo Promotions', role: 'owner' }]);
    expect(events).toHaveLength(1);
    expect(events[0]!.status).toBe('published');
    const minutes = (events[0]!.sale_starts_at.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(8);
    const login = await h
      .browser()
      .post('/feed/api/session/login', { email: 'fan@ticketslave.local', password: DEMO_PASSWORD });
    expect(login.status).toBe(200);
  });

  it('once the demo sale is over, moves on to one fresh demo instead of piling them up', async () => {
    const [old] = await upcoming();
    await saleOver(old!.id);
    await seed();
    const fresh = await upcoming();
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.id).not.toBe(old!.id);
    expect((await demos()).find((e) => e.id === old!.id)?.status).toBe('cancelled');
    // The cancellation went through the API: the audit log and the outbox have it.
    expect(
      await sql(`SELECT 1 FROM feed.event_audit WHERE event_id = $1 AND action = 'cancelled'`, [old!.id]),
    ).toHaveLength(1);

    // Again: one upcoming demo; the next run removes the rows of demos the seed cancelled.
    await saleOver(fresh[0]!.id);
    await seed();
    await seed();
    const after = await demos();
    expect(after.filter((e) => e.status === 'published')).toHaveLength(1);
    expect(await upcoming()).toHaveLength(1);
    expect(after.filter((e) => e.status === 'cancelled')).toEqual([]);
  });

  it('keeps a demo whose sale is over but has tickets sold, and makes no second one', async () => {
    const [demo] = await upcoming();
    await saleOver(demo!.id);
    await sql(
      `INSERT INTO feed.event_stats (event_id, available, held, sold, stock_at) VALUES ($1, 690, 0, 10, now())`,
      [demo!.id],
    );
    const lines = await seed();
    expect(lines.join('\n')).toContain(`demo event ${demo!.id}`);
    expect(lines.join('\n')).toContain('tickets sold');
    const published = (await demos()).filter((e) => e.status === 'published');
    expect(published.map((e) => e.id)).toEqual([demo!.id]);
  });

  it('re-times and publishes a draft demo left by a run that stopped before publishing', async () => {
    await sql(
      `UPDATE feed.events SET status = 'cancelled', cancel_reason = 'test' WHERE status = 'published'`,
    );
    await sql(
      `INSERT INTO feed.events (organiser_id, status, title, buffer_grace_seconds, queue, hold_seconds, per_user_limit,
         sale_starts_at, starts_at)
       SELECT id, 'draft', 'TicketSlave Live: Demo Night', 60, '{}', 300, 4, now() - interval '1 hour', now()
       FROM feed.users WHERE email = 'organiser@ticketslave.local'`,
    );
    const [draft] = (await demos()).filter((e) => e.status === 'draft');
    await seed();
    await seed();
    const now = await upcoming();
    expect(now.map((e) => e.id)).toEqual([draft!.id]);
    expect((now[0]!.sale_starts_at.getTime() - Date.now()) / 60_000).toBeGreaterThan(8);
  });
});
