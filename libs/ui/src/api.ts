/**
 * Failures of TicketSlave's APIs as the pages see them: problem+json answers (and a network
 * that is down) as `ApiError`. The calls themselves go through the typed clients
 * (`api-client.ts`).
 */

import { uiT as t } from './i18n/ui.svelte';

export const PROBLEM_TYPE_BASE = 'https://ticketslave.dev/problems/';

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  /** Full problem `type` URI, e.g. https://ticketslave.dev/problems/sold_out. */
  readonly type: string;
  /** The tail of `type` (`sold_out`), for switch statements. */
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  /** Everything else the server put in the problem (e.g. retryAfterSeconds). */
  readonly extensions: Record<string, unknown>;

  constructor(status: number, problem: ProblemDetails) {
    const { type, title, detail, errors, status: _s, instance: _i, ...extensions } = problem;
    super(detail ?? title ?? `Request failed (${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.type = type ?? 'about:blank';
    this.code = this.type.slice(this.type.lastIndexOf('/') + 1);
    this.title = title ?? defaultTitle(status);
    this.detail = detail;
    this.errors = Array.isArray(errors) ? errors : undefined;
    this.extensions = extensions;
  }

  /** The message for one form field (`path` as the server reports it), if any. */
  fieldError(path: string): string | undefined {
    return this.errors?.find((e) => e.path === path)?.message;
  }

  get isSessionExpired(): boolean {
    return this.status === 401 && this.type.endsWith('session_expired');
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

function defaultTitle(status: number): string {
  if (status === 0) return t('api.unreachable');
  if (status === 401) return t('api.logIn');
  if (status === 403) return t('api.forbidden');
  if (status === 404) return t('api.notFound');
  if (status === 429) return t('api.tooMany');
  if (status >= 500) return t('api.server');
  return t('api.failed');
}

/** fetch, with a network failure turned into `ApiError` 0 (aborts stay aborts). */
export async function send(path: string | Request, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (e) {
    // Aborts are the caller's business; everything else is "network down".
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, {
      type: `${PROBLEM_TYPE_BASE}network_error`,
      title: t('api.unreachable'),
      detail: t('api.checkConnection'),
    });
  }
}

/** A human sentence for any error a page may catch. */
export function errorMessage(e: unknown): string {
  if (isApiError(e)) return e.detail ?? e.title;
  if (e instanceof Error) return e.message;
  return t('api.unknown');
}
