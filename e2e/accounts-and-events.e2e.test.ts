import {
  apiCall,
  E2E_PASSWORD,
  expected401,
  verificationLinkFromInbox,
  expectStatus,
  login,
  promoteInDatabase,
  registerVerifiedFan,
  uniqueEmail,
  useBrowser,
  usePlatform,
  type Me,
} from './support';

/**
 * The first journeys of the whole platform, through the gateway on one origin:
 * a fan registers (in the feed UI, and through the API) and confirms the address
 * from the mail the SMTP stand-in caught;
 * an organiser creates and publishes an event, and fans see it in the feed.
 */
const platform = usePlatform({ label: 'accounts' });
const browser = useBrowser({ baseUrl: async () => (await platform).url, axe: true });

const inAFewDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** The smallest PNG: one pixel (feed checks an upload's bytes, not only its Content-Type). */
const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('accounts and events through the gateway', () => {
  browser.it('a fan registers in the feed UI, follows the e-mailed link and is verified', async () => {
    const p = await platform;
    const fan = await browser.fan('fan', 'mobile');
    const email = uniqueEmail('uifan');
    await fan.visit('/feed/register', 'register');
    await fan.page.getByLabel('E-mail').fill(email);
    await fan.page.getByLabel('Password').fill(E2E_PASSWORD);
    await fan.screenshot('register-filled');
    await fan.page.getByRole('button', { name: 'Create account' }).click();
    await fan.page.waitForURL(/\/feed\/verify-email/, { timeout: 45_000 });
    await fan.screenshot('check-your-inbox');

    const { link } = await verificationLinkFromInbox(p, email);
    expect(link.startsWith(`${p.url}/feed/verify-email?token=`)).toBe(true);
    await fan.page.goto(link);
    await fan.page.getByText('Address confirmed').waitFor({ state: 'visible', timeout: 45_000 });
    await fan.screenshot('address-confirmed');

    const me = await expectStatus(
      apiCall<Me>(fan.context.request, p, 'GET', '/feed/api/session/me'),
      200,
      'session/me',
    );
    expect(me).toMatchObject({ email, role: 'fan', emailVerified: true });
    expect(fan.errors(expected401)).toEqual([]);
  });

  browser.it(
    'a fan registers through the API, confirms the address from the inbox and is logged in',
    async () => {
      const p = await platform;
      const fan = await browser.fan('fan');
      const email = uniqueEmail('fan');
      const me = await registerVerifiedFan(fan.context.request, p, email);
      expect(me).toMatchObject({ email, role: 'fan', emailVerified: true });
      const again = await expectStatus(
        apiCall<Me>(fan.context.request, p, 'GET', '/feed/api/session/me'),
        200,
        'session/me',
      );
      expect(again).toMatchObject({ id: me.id, emailVerified: true });
      await fan.visit('/feed/', 'feed-logged-in');
    },
  );

  browser.it(
    'an organiser creates an event, uploads its poster in the dashboard and publishes it; fans find it in the feed',
    async () => {
      const p = await platform;
      const organiser = await browser.fan('organiser');
      const email = uniqueEmail('organiser');
      await registerVerifiedFan(organiser.context.request, p, email);
      await promoteInDatabase(p, email, 'organiser');
      // The session carries the role, so it takes a new login to act as organiser.
      expect(await login(organiser.context.request, p, email)).toMatchObject({ role: 'organiser' });

      const title = `E2E Night ${Date.now()}`;
      const draft = await expectStatus(
        apiCall<{ id: string; status: string }>(
          organiser.context.request,
          p,
          'POST',
          '/feed/api/organiser/events',
          {
            title,
            artist: 'The Test Vectors',
            venue: 'Loopback Hall',
            city: 'Localhost',
            saleStartsAt: inAFewDays(1),
            startsAt: inAFewDays(2),
            categories: [
              {
                kind: 'ga',
                id: 'standing',
                name: 'Standing',
                priceMinor: 4500,
                currency: 'EUR',
                capacity: 50,
              },
            ],
          },
        ),
        201,
        'create draft',
      );
      expect(draft.status).toBe('draft');
      // The poster goes up from the editor as the image itself (the typed client's one non-JSON body).
      await organiser.visit(`/feed/dashboard/events/${draft.id}`, 'editor');
      await organiser.page
        .locator('input[type="file"]')
        .setInputFiles({ name: 'poster.png', mimeType: 'image/png', buffer: ONE_PIXEL_PNG });
      await organiser.page.getByAltText('Current poster').waitFor({ state: 'visible', timeout: 45_000 });
      await expectStatus(
        apiCall(organiser.context.request, p, 'POST', `/feed/api/organiser/events/${draft.id}/publish`, {}),
        200,
        'publish',
      );

      const anonymous = await browser.fan('visitor', 'mobile');
      const listed = await expectStatus(
        apiCall<{ id: string; title: string; posterUrl: string | null }>(
          anonymous.context.request,
          p,
          'GET',
          `/feed/api/events/${draft.id}`,
        ),
        200,
        'public event',
      );
      expect(listed).toMatchObject({
        id: draft.id,
        title,
        posterUrl: expect.stringContaining(`/posters/${draft.id}/`),
      });
      await anonymous.visit('/feed/', 'feed-with-event');
      const card = anonymous.page.locator(`a[href="/feed/events/${draft.id}"]`);
      await card.waitFor({ state: 'visible', timeout: 45_000 });
      expect(await card.innerText()).toContain(title);
      expect(await card.innerText()).toContain('Loopback Hall, Localhost');
      await anonymous.screenshot('event-listed');
    },
  );
});
