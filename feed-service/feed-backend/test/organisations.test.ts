import { Client } from 'pg';
import { createTestDatabase, readTopic } from '@ticketslave/dev/test-support';
import type { Envelope } from '@ticketslave/common';
import { runAdminCommand } from '../src/admin';
import {
  admin,
  demoEventInput,
  organiser,
  startFeedHarness,
  uniqueEmail,
  verifiedFan,
  type Browser,
  type FeedHarness,
} from './support';

let h: FeedHarness;
beforeAll(async () => {
  h = await startFeedHarness('feedteams');
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

/** The last organisation.updated announced for an organisation. */
async function announced(
  organisationId: string,
  until: (p: Envelope<'organisation.updated'>['payload']) => boolean,
) {
  const all = await readTopic<Envelope<'organisation.updated'>>(
    h.kafka.brokers,
    h.kafka.prefix + 'organisation.updated',
    { until: (ms) => ms.some((m) => m.payload.organisationId === organisationId && until(m.payload)) },
  );
  return all.filter((m) => m.payload.organisationId === organisationId).at(-1)!.payload;
}

const problemPaths = async (res: Response) =>
  ((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort();

/** Invites `email` with `role` and returns the token from the mailed link. */
async function invite(owner: Browser, orgId: string, email: string, role: string): Promise<string> {
  const since = new Date(Date.now() - 1000);
  const res = await owner.post(`/feed/api/organiser/organisations/${orgId}/invitations`, { email, role });
  expect(res.status).toBe(201);
  // By the organisation's name: the same address may have been invited elsewhere a moment ago.
  const { organisationName } = (await res.json()) as { organisationName: string };
  const { link } = await h.mailTo(email, `Join ${organisationName}`, since);
  return new URL(link).searchParams.get('token')!;
}

/** A verified account that joined `orgId` with `role` through an invitation, session refreshed. */
async function memberOf(owner: Browser, orgId: string, role: string) {
  const u = await verifiedFan(h, uniqueEmail(role));
  const token = await invite(owner, orgId, u.email, role);
  const accepted = await u.b.post('/feed/api/invitations/accept', { token });
  expect(accepted.status).toBe(200);
  expect((await u.b.post('/feed/api/session/refresh')).status).toBe(200);
  return u;
}

describe('applying to organise', () => {
  it('when the form is incomplete, names every bad field and records nothing', async () => {
    const fan = await verifiedFan(h);
    const res = await fan.b.post('/feed/api/organiser-applications', {
      organisationName: 'x',
      website: 'not a site',
      phone: 'call me',
    });
    expect(res.status).toBe(400);
    expect(await problemPaths(res)).toEqual([
      'body.contactName',
      'body.expectedAudience',
      'body.organisationName',
      'body.phone',
      'body.website',
    ]);
    expect(
      await sql(
        `SELECT 1 FROM feed.organiser_applications a JOIN feed.users u ON u.id = a.user_id WHERE u.email = $1`,
        [fan.email],
      ),
    ).toEqual([]);
  });

  it('when the account was deleted while its session is still valid, answers 401 problem+json, not a 500 (found by the robustness run)', async () => {
    const fan = await verifiedFan(h);
    await sql(`DELETE FROM feed.users WHERE id = $1`, [fan.id]);
    const res = await fan.b.post('/feed/api/organiser-applications', {
      organisationName: 'Gone Promotions',
      contactName: 'Nobody',
      expectedAudience: 'more',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { type: string }).type).toMatch(/account_gone$/);
    expect(await sql(`SELECT 1 FROM feed.organiser_applications WHERE user_id = $1`, [fan.id])).toEqual([]);
  });

  it('when approved, the applicant owns a new organisation, is told by e-mail, and the organisation is announced', async () => {
    const fan = await verifiedFan(h);
    const applied = await fan.b.post('/feed/api/organiser-applications', {
      organisationName: 'Harbour Nights',
      contactName: 'Sam Harbour',
      website: 'https://harbour.example',
      expectedAudience: 'up_to_50000',
    });
    expect(applied.status).toBe(201);
    const application = (await applied.json()) as { id: string; status: string };
    expect(application.status).toBe('pending');
    // One application at a time.
    const again = await fan.b.post('/feed/api/organiser-applications', {
      organisationName: 'Harbour Nights 2',
      contactName: 'Sam Harbour',
      expectedAudience: 'more',
    });
    expect(again.status).toBe(409);
    // Only admins decide.
    expect(
      (await fan.b.post(`/feed/api/admin/organiser-applications/${application.id}/approve`)).status,
    ).toBe(403);
    expect((await fan.b.get('/feed/api/admin/organiser-applications')).status).toBe(403);

    const { b: adminB, email: adminEmail } = await admin(h);
    const pending = (await (
      await adminB.get('/feed/api/admin/organiser-applications?status=pending')
    ).json()) as {
      items: { id: string; email: string }[];
    };
    expect(pending.items.find((a) => a.id === application.id)).toMatchObject({ email: fan.email });
    const since = new Date(Date.now() - 1000);
    const approved = await adminB.post(`/feed/api/admin/organiser-applications/${application.id}/approve`);
    expect(approved.status).toBe(200);
    const { organisationId } = (await approved.json()) as { organisationId: string };
    expect(
      (await adminB.post(`/feed/api/admin/organiser-applications/${application.id}/approve`)).status,
    ).toBe(409);
    expect((await h.mailTo(fan.email, 'can now sell tickets', since)).link).toMatch(/\/feed\/dashboard$/);

    const refreshed = await fan.b.post('/feed/api/session/refresh');
    expect(((await refreshed.json()) as { role: string }).role).toBe('organiser');
    const mine = (await (await fan.b.get('/feed/api/organiser/organisations')).json()) as {
      items: unknown[];
    };
    expect(mine.items).toEqual([{ organisationId, name: 'Harbour Nights', role: 'owner' }]);
    const payload = await announced(organisationId, () => true);
    expect(payload).toMatchObject({
      name: 'Harbour Nights',
      members: [{ userId: fan.id, role: 'owner' }],
      settings: { releaseSeatsOnExternalRefund: true },
    });
    const audit = (await (
      await fan.b.get(`/feed/api/organiser/organisations/${organisationId}/audit`)
    ).json()) as {
      items: { action: string; actorEmail: string }[];
    };
    expect(audit.items).toMatchObject([{ action: 'organisation_created', actorEmail: adminEmail }]);
  });

  it('when rejected, the applicant reads the reason in an e-mail and may apply again; a reason is required', async () => {
    const fan = await verifiedFan(h);
    const { id } = (await (
      await fan.b.post('/feed/api/organiser-applications', {
        organisationName: 'Shady Tickets',
        contactName: 'Anon',
        expectedAudience: 'more',
      })
    ).json()) as { id: string };
    const { b: adminB } = await admin(h);
    const noReason = await adminB.post(`/feed/api/admin/organiser-applications/${id}/reject`, {
      reason: 'no',
    });
    expect(noReason.status).toBe(400);
    expect(await problemPaths(noReason)).toEqual(['body.reason']);
    const since = new Date(Date.now() - 1000);
    const rejected = await adminB.post(`/feed/api/admin/organiser-applications/${id}/reject`, {
      reason: 'We could not verify the website you gave.',
    });
    expect(rejected.status).toBe(200);
    expect((await h.mailTo(fan.email, 'Your application', since)).text).toContain(
      'We could not verify the website you gave.',
    );
    expect((await adminB.post(`/feed/api/admin/organiser-applications/${id}/approve`)).status).toBe(409);
    const mine = (await (await fan.b.get('/feed/api/organiser-applications/mine')).json()) as {
      items: { status: string; decisionReason: string }[];
    };
    expect(mine.items[0]).toMatchObject({
      status: 'rejected',
      decisionReason: 'We could not verify the website you gave.',
    });
    expect(await sql(`SELECT role FROM feed.users WHERE id = $1`, [fan.id])).toEqual([{ role: 'fan' }]);
  });
});

describe('teams: invitations and roles', () => {
  it('when invited, only the invited address can accept; the member joins with the role and is announced', async () => {
    const owner = await organiser(h);
    const door = await verifiedFan(h, uniqueEmail('door'));
    const stranger = await verifiedFan(h);
    const token = await invite(owner.b, owner.organisationId, door.email, 'door');

    const preview = await h.browser().get(`/feed/api/invitations/preview?token=${token}`);
    expect(await preview.json()).toMatchObject({ role: 'door', email: door.email, status: 'open' });
    expect((await stranger.b.post('/feed/api/invitations/accept', { token })).status).toBe(403);
    expect((await door.b.post('/feed/api/invitations/accept', { token })).status).toBe(200);
    // Accepting twice is harmless; the link is used up for anyone else.
    expect((await door.b.post('/feed/api/invitations/accept', { token })).status).toBe(200);
    const payload = await announced(owner.organisationId, (p) => p.members.length === 2);
    expect(payload.members).toEqual(
      expect.arrayContaining([
        { userId: owner.id, role: 'owner' },
        { userId: door.id, role: 'door' },
      ]),
    );
    const view = (await (
      await owner.b.get(`/feed/api/organiser/organisations/${owner.organisationId}`)
    ).json()) as {
      members: { email: string; role: string }[];
    };
    expect(view.members.map((m) => [m.email, m.role])).toEqual([
      [owner.email, 'owner'],
      [door.email, 'door'],
    ]);
  });

  it('when a door member calls an edit, publish, cancel, duplicate, delete or audit route, answers 403 and changes nothing', async () => {
    const owner = await organiser(h);
    const draft = (await (await owner.b.post('/feed/api/organiser/events', demoEventInput())).json()) as {
      id: string;
    };
    const door = await memberOf(owner.b, owner.organisationId, 'door');
    const base = `/feed/api/organiser/events/${draft.id}`;
    // Door staff see the event (to check tickets in) and their role.
    const seen = await door.b.get(base);
    expect(seen.status).toBe(200);
    expect(await seen.json()).toMatchObject({ myRole: 'door' });
    for (const res of [
      await door.b.fetch(base, { method: 'PUT', json: demoEventInput({ title: 'Hijacked' }) }),
      await door.b.post(`${base}/publish`),
      await door.b.post(`${base}/cancel`, { reason: 'door says no' }),
      await door.b.post(`${base}/duplicate`),
      await door.b.fetch(base, { method: 'DELETE' }),
      await door.b.get(`${base}/audit`),
      await door.b.post('/feed/api/organiser/events', demoEventInput()),
      await door.b.post(`/feed/api/organiser/organisations/${owner.organisationId}/invitations`, {
        email: uniqueEmail('x'),
        role: 'owner',
      }),
    ]) {
      expect(res.status).toBe(403);
      expect(((await res.json()) as { type: string }).type).toMatch(/\/(role_forbids|not_an_organiser)$/);
    }
    expect(
      await sql(`SELECT title, status FROM feed.events WHERE organisation_id = $1`, [owner.organisationId]),
    ).toEqual([{ title: 'Night of Tests', status: 'draft' }]);
  });

  it('lets a manager run events but not the team, and names each member in the audit log', async () => {
    const owner = await organiser(h);
    const manager = await memberOf(owner.b, owner.organisationId, 'manager');
    const created = await manager.b.post('/feed/api/organiser/events', demoEventInput());
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await owner.b.post(`/feed/api/organiser/events/${id}/publish`)).status).toBe(200);
    expect(
      (
        await manager.b.post(`/feed/api/organiser/organisations/${owner.organisationId}/invitations`, {
          email: uniqueEmail('x'),
          role: 'door',
        })
      ).status,
    ).toBe(403);
    const audit = (await (await manager.b.get(`/feed/api/organiser/events/${id}/audit`)).json()) as {
      items: { action: string; actorEmail: string; actorRole: string }[];
    };
    expect(audit.items.map((a) => [a.action, a.actorEmail, a.actorRole])).toEqual([
      ['published', owner.email, 'owner'],
      ['created', manager.email, 'manager'],
    ]);
  });

  it("when a member of one organisation asks for another's organisation, answers 404", async () => {
    const a = await organiser(h);
    const b = await organiser(h);
    expect((await a.b.get(`/feed/api/organiser/organisations/${b.organisationId}`)).status).toBe(404);
    expect(
      (
        await a.b.post(`/feed/api/organiser/organisations/${b.organisationId}/invitations`, {
          email: uniqueEmail('x'),
          role: 'door',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await a.b.post('/feed/api/organiser/events', {
          ...demoEventInput(),
          organisationId: b.organisationId,
        })
      ).status,
    ).toBe(404);
  });

  it('when an admin creates an event in an organisation that does not exist, answers 404 problem+json, not a 500 (found by the robustness run)', async () => {
    const { b } = await admin(h);
    const res = await b.post('/feed/api/organiser/events', {
      ...demoEventInput(),
      organisationId: '3f1f9c1e-9a51-4c1e-8d0c-5b5e0a6f4d21',
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { type: string }).type).toMatch(/organisation_not_found$/);
  });

  it('keeps an owner: the last owner can neither leave nor be demoted (409); a removed member is announced gone', async () => {
    const owner = await organiser(h);
    const manager = await memberOf(owner.b, owner.organisationId, 'manager');
    const members = `/feed/api/organiser/organisations/${owner.organisationId}/members`;
    expect((await owner.b.fetch(`${members}/${owner.id}`, { method: 'DELETE' })).status).toBe(409);
    expect(
      (await owner.b.fetch(`${members}/${owner.id}`, { method: 'PUT', json: { role: 'door' } })).status,
    ).toBe(409);
    // With a second owner the first may step down.
    expect(
      (await owner.b.fetch(`${members}/${manager.id}`, { method: 'PUT', json: { role: 'owner' } })).status,
    ).toBe(204);
    expect(
      (await owner.b.fetch(`${members}/${owner.id}`, { method: 'PUT', json: { role: 'manager' } })).status,
    ).toBe(204);
    expect((await manager.b.fetch(`${members}/${owner.id}`, { method: 'DELETE' })).status).toBe(204);
    const payload = await announced(owner.organisationId, (p) =>
      p.members.every((m) => m.userId !== owner.id),
    );
    expect(payload.members).toEqual([{ userId: manager.id, role: 'owner' }]);
    expect(await sql(`SELECT role FROM feed.users WHERE id = $1`, [owner.id])).toEqual([{ role: 'fan' }]);
  });

  it('when an invitation is withdrawn or expired, it can no longer be accepted (410)', async () => {
    const owner = await organiser(h);
    const invitee = await verifiedFan(h);
    const token = await invite(owner.b, owner.organisationId, invitee.email, 'door');
    const view = (await (
      await owner.b.get(`/feed/api/organiser/organisations/${owner.organisationId}`)
    ).json()) as {
      invitations: { id: string; email: string }[];
    };
    const inv = view.invitations.find((i) => i.email === invitee.email)!;
    expect(
      (
        await owner.b.fetch(
          `/feed/api/organiser/organisations/${owner.organisationId}/invitations/${inv.id}`,
          {
            method: 'DELETE',
          },
        )
      ).status,
    ).toBe(204);
    expect((await invitee.b.post('/feed/api/invitations/accept', { token })).status).toBe(410);
    const token2 = await invite(owner.b, owner.organisationId, invitee.email, 'door');
    await sql(
      `UPDATE feed.organisation_invitations SET expires_at = now() - interval '1 second' WHERE email = $1`,
      [invitee.email],
    );
    expect((await invitee.b.post('/feed/api/invitations/accept', { token: token2 })).status).toBe(410);
    expect(await sql(`SELECT 1 FROM feed.organisation_members WHERE user_id = $1`, [invitee.id])).toEqual([]);
  });
});

describe('the event editor', () => {
  it('duplicates an event into a draft of the same organisation and deletes drafts only', async () => {
    const owner = await organiser(h);
    const { id } = (await (await owner.b.post('/feed/api/organiser/events', demoEventInput())).json()) as {
      id: string;
    };
    const copy = await owner.b.post(`/feed/api/organiser/events/${id}/duplicate`);
    expect(copy.status).toBe(201);
    const dup = (await copy.json()) as {
      id: string;
      title: string;
      status: string;
      organisationId: string;
      categories: unknown[];
    };
    expect(dup).toMatchObject({
      title: 'Night of Tests (copy)',
      status: 'draft',
      organisationId: owner.organisationId,
    });
    expect(dup.categories).toEqual(demoEventInput().categories);
    expect((await owner.b.fetch(`/feed/api/organiser/events/${dup.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await owner.b.get(`/feed/api/organiser/events/${dup.id}`)).status).toBe(404);
    expect((await owner.b.post(`/feed/api/organiser/events/${id}/publish`)).status).toBe(200);
    const deletePublished = await owner.b.fetch(`/feed/api/organiser/events/${id}`, { method: 'DELETE' });
    expect(deletePublished.status).toBe(409);
    expect(await sql(`SELECT status FROM feed.events WHERE id = $1`, [id])).toEqual([
      { status: 'published' },
    ]);
  });

  it('when a member of two organisations creates an event without saying which, asks for organisationId', async () => {
    const owner = await organiser(h);
    const other = await organiser(h);
    const both = await memberOf(owner.b, owner.organisationId, 'manager');
    const token = await invite(other.b, other.organisationId, both.email, 'manager');
    expect((await both.b.post('/feed/api/invitations/accept', { token })).status).toBe(200);
    const res = await both.b.post('/feed/api/organiser/events', demoEventInput());
    expect(res.status).toBe(400);
    expect(await problemPaths(res)).toEqual(['organisationId']);
    const ok = await both.b.post('/feed/api/organiser/events', {
      ...demoEventInput(),
      organisationId: other.organisationId,
    });
    expect(ok.status).toBe(201);
  });
});

describe('npm run admin (the admin command)', () => {
  const run = async (...args: string[]) => {
    const lines: string[] = [];
    const code = await runAdminCommand(args, { databaseUrl: h.db.url, out: (l) => lines.push(l) });
    return { code, text: lines.join('\n') };
  };

  it('grants admin to a registered account only, and never revokes the last admin', async () => {
    expect(await run('grant-admin', 'nobody@example.test')).toMatchObject({ code: 1 });
    const u = await verifiedFan(h);
    expect((await run('grant-admin', u.email.toUpperCase())).code).toBe(0);
    expect(await sql(`SELECT role FROM feed.users WHERE id = $1`, [u.id])).toEqual([{ role: 'admin' }]);
    expect((await run('list-admins')).text).toContain(u.email);
    expect((await run('revoke-admin', u.email)).code).toBe(0);
    // Every other admin revoked: the last one stays.
    const admins = await sql<{ email: string }>(`SELECT email FROM feed.users WHERE role = 'admin'`);
    for (const a of admins.slice(1)) expect((await run('revoke-admin', a.email)).code).toBe(0);
    const last = await run('revoke-admin', admins[0]!.email);
    expect(last.code).toBe(1);
    expect(last.text).toContain('last admin');
    expect(await run('bogus')).toMatchObject({ code: 2 });
  });

  it('makes an organisation owned by an account, announced like an approval', async () => {
    const u = await verifiedFan(h);
    const made = await run('make-organiser', u.email, '--organisation', 'Ops Made Ltd');
    expect(made.code).toBe(0);
    const [org] = await sql<{ id: string }>(
      `SELECT o.id FROM feed.organisations o JOIN feed.organisation_members m ON m.organisation_id = o.id
       WHERE m.user_id = $1 AND m.role = 'owner' AND o.name = 'Ops Made Ltd'`,
      [u.id],
    );
    expect((await announced(org!.id, () => true)).members).toEqual([{ userId: u.id, role: 'owner' }]);
  });

  it('when the service never started on the database, then the command builds the schema first', async () => {
    const fresh = await createTestDatabase('feedadmin');
    try {
      const lines: string[] = [];
      const code = await runAdminCommand(['list-admins'], {
        databaseUrl: fresh.url,
        out: (l) => lines.push(l),
      });
      expect(code).toBe(0);
      // Including migration 0003's generated price columns, which need the SQL functions of src/data/sql.
      const client = new Client({ connectionString: fresh.url });
      await client.connect();
      const priced = await client.query(
        `SELECT column_name FROM information_schema.columns
         WHERE table_schema = 'feed' AND table_name = 'events' AND column_name = 'price_min_minor'`,
      );
      await client.end();
      expect(priced.rows).toEqual([{ column_name: 'price_min_minor' }]);
    } finally {
      await fresh.drop();
    }
  });
});

describe('organisations made by the migration', () => {
  it('when an organisation was never announced (the migration made one per organiser), announces it at start', async () => {
    const owner = await organiser(h);
    await sql(`UPDATE feed.organisations SET announced_version = 0, name = 'Migrated Org' WHERE id = $1`, [
      owner.organisationId,
    ]);
    await h.restart();
    const payload = await announced(owner.organisationId, (p) => p.name === 'Migrated Org');
    expect(payload.members).toEqual([{ userId: owner.id, role: 'owner' }]);
    expect(
      await sql(`SELECT announced_version = version AS done FROM feed.organisations WHERE id = $1`, [
        owner.organisationId,
      ]),
    ).toEqual([{ done: true }]);
  });
});
