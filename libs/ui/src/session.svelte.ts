import type { components } from '@ticketslave/contracts/api/feed';
import { ApiError, isApiError } from './api';
import { answer, feedApi } from './api-client';
import { forgetUserData } from './user-storage';

/** Who is signed in (feed's `GET /feed/api/session/me`). */
export type SessionUser = components['schemas']['Me'];
export type Role = SessionUser['role'];

export type SessionStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Where to send someone who must sign in; `next` brings them back here after. */
export function loginUrl(next: string = currentLocation()): string {
  return `/feed/login?next=${encodeURIComponent(next)}`;
}

export function registerUrl(next: string = currentLocation()): string {
  return `/feed/register?next=${encodeURIComponent(next)}`;
}

function currentLocation(): string {
  if (typeof location === 'undefined') return '/feed/';
  return location.pathname + location.search + location.hash;
}

/**
 * Who is signed in, shared by every component of a page. The session cookie is
 * HttpOnly, so the only way to know is to ask feed.
 */
export class Session {
  user = $state<SessionUser | null>(null);
  status = $state<SessionStatus>('idle');
  /** Set when /me failed for a reason other than "not signed in". */
  error = $state<ApiError | null>(null);

  #loading: Promise<SessionUser | null> | null = null;

  get signedIn(): boolean {
    return this.user !== null;
  }

  get isOrganiser(): boolean {
    return this.user?.role === 'organiser' || this.user?.role === 'admin';
  }

  /** Loads the user once; concurrent callers share the request. `force` reloads. */
  load(force = false): Promise<SessionUser | null> {
    if (this.#loading) return this.#loading;
    if (this.status === 'ready' && !force) return Promise.resolve(this.user);
    this.status = 'loading';
    this.#loading = answer(feedApi.GET('/feed/api/session/me'))
      .then((user) => {
        this.user = user;
        this.error = null;
        this.status = 'ready';
        return user;
      })
      .catch((e: unknown) => {
        this.user = null;
        if (isApiError(e) && e.status === 401) {
          this.error = null;
          this.status = 'ready';
        } else {
          this.error = isApiError(e) ? e : new ApiError(0, { title: 'Could not check your session' });
          this.status = 'error';
        }
        return null;
      })
      .finally(() => {
        this.#loading = null;
      });
    return this.#loading;
  }

  async logout(): Promise<void> {
    try {
      await answer(feedApi.POST('/feed/api/session/logout'));
    } finally {
      this.user = null;
      this.status = 'ready';
      // Even when the server could not be told: this device forgets what it kept for them.
      forgetUserData();
    }
  }
}

/** The page-wide session. Call `session.load()` once at start-up (AppShell does). */
export const session = new Session();
