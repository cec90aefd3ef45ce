import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  solveAltcha,
  type AltchaChallengeJson,
  testSigningKeys,
  viewerHeaders,
  type TestDatabase,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { startSmtp, waitForMail, type SmtpStandIn } from '@ticketslave/dev/standins';
import type { PrivateJwkSet, RunningService } from '@ticketslave/common';
import { loadFeedConfig } from '../src/config';
import { startFeedService } from '../src/start';

/** A cookie jar that honours Path, the way a browser sends ts_refresh only to /feed/api/session. */
export class Browser {
  readonly cookies = new Map<string, { value: string; path: string }>();

  /** Each browser comes from its own address, as fans do, so per-IP limits apply per browser. */
  readonly ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

  constructor(readonly base: string) {}

  async fetch(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const url = new URL(path, this.base);
    const headers = new Headers(init.headers);
    const cookie = [...this.cookies]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
    if (cookie) headers.set('cookie', cookie);
    for (const [name, value] of Object.entries(viewerHeaders(this.ip))) headers.set(name, value);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await fetch(url, { ...init, headers, body, redirect: init.redirect ?? 'manual' });
    for (const raw of res.headers.getSetCookie()) {
      const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
      const [name, ...rest] = pair!.split('=');
      const value = decodeURIComponent(rest.join('='));
      const pathAttr = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now());
      if (!value || expired) this.cookies.delete(name!);
      else this.cookies.set(name!, { value, path: pathAttr });
    }
    return res;
  }

  post = (path: string, json?: unknown) => this.fetch(path, { method: 'POST', json: json ?? {} });
  get = (path: string) => this.fetch(path);

  /** Solves a registration challenge from this browser, as the form's widget does. */
  async registrationProof(): Promise<string> {
    const res = await this.get('/feed/api/account/register/challenge');
    if (res.status !== 200) throw new Error(`registration challenge: ${res.status} ${await res.text()}`);
    return solveAltcha((await res.json()) as AltchaChallengeJson);
  }

  /** `POST /account/register` with `body` and a solved proof of work. */
  register = async (body: Record<string, unknown>): Promise<Response> =>
    this.post('/feed/api/account/register', { ...body, altcha: await this.registrationProof() });
}

export interface FeedHarness {
  feed: RunningService;
  smtp: SmtpStandIn;
  db: TestDatabase;
  kafka: TestKafka;
  keys: PrivateJwkSet;
  env: Record<string, string>;
  browser(): Browser;
  mailTo(to: string, subjectIncludes: string, since?: Date): Promise<{ text: string; link: string }>;
  restart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Freshly created topics can take a moment to show up in the shared broker's metadata
 * when several test files create theirs at once; the service start is retried for that.
 */
async function retryKafka<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 4 || !/topic-partition|leader/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function startWithRetry(env: Record<string, string>): Promise<RunningService> {
  return retryKafka(() => startFeedService(loadFeedConfig(env), { port: 0 }));
}

export async function startFeedHarness(
  label: string,
  extra: Record<string, string> = {},
): Promise<FeedHarness> {
  const [db, kafka, smtp, keys] = await Promise.all([
    createTestDatabase(label),
    retryKafka(() => createTestKafka(label)),
    startSmtp({ port: 0, httpPort: 0 }),
    testSigningKeys('k1'),
  ]);
  const env = serviceTestEnv('feed', db, kafka, {
    SESSION_SIGNING_JWKS: JSON.stringify(keys),
    SMTP_URL: smtp.url,
    ARGON2_MEMORY_KIB: '8192',
    ...extra,
  });
  const h: FeedHarness = {
    feed: await startWithRetry(env),
    smtp,
    db,
    kafka,
    keys,
    env,
    browser: () => new Browser(h.feed.url),
    mailTo: async (to, subjectIncludes, since) => {
      const mail = await waitForMail(smtp.inboxUrl, { to, subjectIncludes, since });
      const link = /https?:\/\/\S+/.exec(mail.text)?.[0] ?? '';
      return { text: mail.text, link };
    },
    restart: async (more = {}) => {
      await h.feed.stop();
      h.env = { ...h.env, ...more };
      h.feed = await startWithRetry(h.env);
    },
    stop: async () => {
      await h.feed.stop();
      await Promise.all([smtp.stop(), kafka.cleanup(), db.drop()]);
    },
  };
  return h;
}

let seq = 0;
export const uniqueEmail = (tag: string) => `${tag}-${Date.now().toString(36)}-${seq++}@example.test`;
export const GOOD_PASSWORD = 'correct horse battery staple';

/** Registers, verifies and logs in a fan; returns the logged-in browser. */
export async function verifiedFan(
  h: FeedHarness,
  email = uniqueEmail('fan'),
): Promise<{ b: Browser; email: string; id: string }> {
  const b = h.browser();
  const since = new Date(Date.now() - 1000);
  expect((await b.register({ email, password: GOOD_PASSWORD })).status).toBe(202);
  const { link } = await h.mailTo(email, 'Confirm', since);
  const token = new URL(link).searchParams.get('token');
  expect((await b.post('/feed/api/account/verify-email', { token })).status).toBe(204);
  const login = await b.post('/feed/api/session/login', { email, password: GOOD_PASSWORD });
  expect(login.status).toBe(200);
  const me = (await login.json()) as { id: string };
  return { b, email, id: me.id };
}

const admins = new WeakMap<FeedHarness, Promise<{ b: Browser; email: string; id: string }>>();

/** A verified user made admin by the admin command (`npm run admin -- grant-admin`), one per harness. */
export function admin(h: FeedHarness): Promise<{ b: Browser; email: string; id: string }> {
  let made = admins.get(h);
  if (!made) {
    made = (async () => {
      const u = await verifiedFan(h, uniqueEmail('admin'));
      const { runAdminCommand } = await import('../src/admin');
      expect(
        await runAdminCommand(['grant-admin', u.email], { databaseUrl: h.db.url, out: () => undefined }),
      ).toBe(0);
      expect((await u.b.post('/feed/api/session/refresh')).status).toBe(200);
      return u;
    })();
    admins.set(h, made);
  }
  return made;
}

/**
 * A verified user who applied to organise and whom an admin approved: the owner of a new
 * organisation, logged in with the organiser role.
 */
export async function organiser(
  h: FeedHarness,
  organisationName = `Org ${uniqueEmail('o').split('@')[0]}`,
): Promise<{ b: Browser; email: string; id: string; organisationId: string }> {
  const u = await verifiedFan(h, uniqueEmail('org'));
  const applied = await u.b.post('/feed/api/organiser-applications', {
    organisationName,
    contactName: 'Alex Organiser',
    expectedAudience: 'up_to_5000',
  });
  expect(applied.status).toBe(201);
  const { id } = (await applied.json()) as { id: string };
  const approved = await (await admin(h)).b.post(`/feed/api/admin/organiser-applications/${id}/approve`);
  expect(approved.status).toBe(200);
  const { organisationId } = (await approved.json()) as { organisationId: string };
  expect((await u.b.post('/feed/api/session/refresh')).status).toBe(200);
  return { ...u, organisationId };
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

/** A complete event an organiser can publish: Floor A–J × 20 reserved and 500 GA. */
export function demoEventInput(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Night of Tests',
    artist: 'The Integration Band',
    description: 'Loud. <script>alert(1)</script> stays text.',
    venue: 'Arena One',
    city: 'Lisbon',
    saleStartsAt: inMinutes(30),
    startsAt: inMinutes(60 * 24 * 30),
    doorsAt: inMinutes(60 * 24 * 30 - 60),
    timeZone: 'Europe/Lisbon',
    bufferGraceSeconds: 300,
    queue: { admitRatePerMinute: 100, maxActiveShoppers: 200, awayGraceSeconds: 120 },
    holdSeconds: 600,
    perUserLimit: 4,
    categories: [
      {
        id: 'floor',
        name: 'Floor',
        kind: 'reserved',
        priceMinor: 8900,
        currency: 'EUR',
        sections: [{ name: 'Floor', rows: [{ from: 'A', to: 'J', seats: 20 }] }],
      },
      { id: 'ga', name: 'Standing', kind: 'ga', priceMinor: 4900, currency: 'EUR', capacity: 500 },
    ],
    ...overrides,
  };
}
