import { Client } from 'pg';
import { seedDemo, DEMO_PASSWORD } from '../src/seed';
import { startFeedHarness, type FeedHarness } from './support';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness('feedseed');
});
afterAll(() => h?.stop());

describe('seedDemo', () => {
  it('creates the three accounts and one published demo event, and running it again changes nothing', async () => {
    const first = await seedDemo({ feedUrl: h.feed.url, databaseUrl: h.db.url });
    const second = await seedDemo({ feedUrl: h.feed.url, databaseUrl: h.db.url });
    expect(second).toEqual(first);
    const c = new Client({ connectionString: h.db.url });
    await c.connect();
    const users = await c.query(`SELECT email, role, email_verified FROM feed.users ORDER BY email`);
    const events = await c.query(`SELECT status, sale_starts_at FROM feed.events`);
    await c.end();
    expect(users.rows).toEqual([
      { email: 'admin@ticketslave.local', role: 'admin', email_verified: true },
      { email: 'fan@ticketslave.local', role: 'fan', email_verified: true },
      { email: 'organiser@ticketslave.local', role: 'organiser', email_verified: true },
    ]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].status).toBe('published');
    const minutes = (new Date(events.rows[0].sale_starts_at).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(8);
    const login = await h
      .browser()
      .post('/feed/api/session/login', { email: 'fan@ticketslave.local', password: DEMO_PASSWORD });
    expect(login.status).toBe(200);
  });
});
