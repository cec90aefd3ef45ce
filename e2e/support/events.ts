import type { APIRequestContext } from 'playwright-core';
import type { Platform } from '../../dev/platform/platform';
import { eventually } from '../../dev/test-support';
import type { Fan } from './browser';
import {
  apiCall,
  expectStatus,
  login,
  promoteInDatabase,
  registerVerifiedFan,
  uniqueEmail,
} from './accounts';

export interface CreatedEvent {
  id: string;
  title: string;
  status: string;
  /** As sent when the draft was created (ISO). */
  saleStartsAt: string;
}

const inFromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A fresh organiser account (registered, verified, promoted, logged in) in `request`'s jar. */
export async function becomeOrganiser(request: APIRequestContext, platform: Platform): Promise<string> {
  const email = uniqueEmail('organiser');
  await registerVerifiedFan(request, platform, email);
  await promoteInDatabase(platform, email, 'organiser');
  // The session carries the role, so it takes a new login to act as organiser.
  const me = await login(request, platform, email);
  if (me.role !== 'organiser') throw new Error(`expected an organiser session, got ${me.role}`);
  return email;
}

/**
 * Creates and publishes an event: reserved seats (2 rows × 5, EUR 45) unless
 * `categories` says otherwise; the sale starts `saleInMs` from now. Closing the
 * buffer early draws the numbers early, but the queue lets nobody in before the
 * sale time: a journey that buys tickets publishes with a sale moments away.
 */
export async function publishEvent(
  request: APIRequestContext,
  platform: Platform,
  opts: {
    title?: string;
    saleInMs?: number;
    bufferGraceSeconds?: number;
    categories?: unknown[];
    perUserLimit?: number;
    /** The venue's IANA zone [UTC]: times on the fan pages are shown on its clock. */
    timeZone?: string;
  } = {},
): Promise<CreatedEvent> {
  const saleIn = opts.saleInMs ?? 86_400_000;
  const title = opts.title ?? `E2E Night ${Date.now()}`;
  const saleStartsAt = inFromNow(saleIn);
  const draft = await expectStatus(
    apiCall<CreatedEvent>(request, platform, 'POST', '/feed/api/organiser/events', {
      title,
      artist: 'The Test Vectors',
      venue: 'Loopback Hall',
      city: 'Localhost',
      saleStartsAt,
      startsAt: inFromNow(saleIn + 86_400_000),
      bufferGraceSeconds: opts.bufferGraceSeconds ?? 300,
      ...(opts.perUserLimit ? { perUserLimit: opts.perUserLimit } : {}),
      ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
      // The lowest join difficulty an organiser may set: the waiting room's widget solves it for real.
      queue: {
        admitRatePerMinute: 100,
        maxActiveShoppers: 200,
        awayGraceSeconds: 120,
        joinPowMaxNumber: 1000,
      },
      categories: opts.categories ?? [
        {
          kind: 'reserved',
          id: 'stalls',
          name: 'Stalls',
          priceMinor: 4500,
          currency: 'EUR',
          sections: [{ name: 'Stalls', rows: [{ from: 'A', to: 'B', seats: 5 }] }],
        },
      ],
    }),
    201,
    'create draft',
  );
  const published = await expectStatus(
    apiCall<CreatedEvent>(request, platform, 'POST', `/feed/api/organiser/events/${draft.id}/publish`, {}),
    200,
    'publish',
  );
  return { ...published, id: draft.id, title, saleStartsAt };
}

/**
 * Joins the buffer from the waiting room page (`/buffer/?event=`): clicks "Join the
 * queue", then waits until the buffer has the entry and the page says so.
 */
export async function joinInWaitingRoom(fan: Fan, platform: Platform, eventId: string): Promise<void> {
  await fan.visit(`/buffer/?event=${eventId}`, 'waiting-room');
  await fan.page.getByRole('button', { name: 'Join the queue' }).click();
  await eventually(
    async () =>
      (await apiCall(fan.context.request, platform, 'GET', `/buffer/api/events/${eventId}/entries/me`))
        .status === 200,
    { timeoutMs: 15_000, message: `${fan.name}'s join never reached the buffer` },
  );
  await fan.page
    .getByText(/You're in/)
    .first()
    .waitFor({ state: 'visible', timeout: 45_000 });
  await fan.screenshot('joined');
}
