import { SERVICE_NAMES } from '../../dev/platform/paths';
import type { ConsoleEntry } from './browser';

/** The URL a console entry is about: the failed resource, or the WebSocket URL in its text. */
export function entryUrl(e: ConsoleEntry): string | undefined {
  const ws = /WebSocket connection to '([^']+)'/.exec(e.text);
  return ws?.[1] ?? e.url;
}

function statusOf(e: ConsoleEntry): number | undefined {
  const m = /status of (\d{3})\b|response code: (\d{3})\b/.exec(e.text);
  return m ? Number(m[1] ?? m[2]) : e.status;
}

/** Console errors that only report an expected 401 (not logged in): a fetch or a WebSocket handshake. */
export const expected401 = (e: ConsoleEntry): boolean => statusOf(e) === 401;

/** A 404 about something the test made up (an unknown event or order id): the honest answer. */
export const notFoundFor =
  (...unknownIds: string[]) =>
  (e: ConsoleEntry): boolean =>
    statusOf(e) === 404 && unknownIds.some((id) => entryUrl(e)?.includes(id));

/**
 * Which API paths the services declare in their OpenAPI documents (`/<svc>/api/openapi.json`
 * through the gateway). A service whose document does not load is an error, not a service
 * to skip.
 */
export async function declaredApi(baseUrl: string): Promise<(url: string) => boolean> {
  const patterns: RegExp[] = [];
  for (const svc of SERVICE_NAMES) {
    const res = await fetch(`${baseUrl}/${svc}/api/openapi.json`);
    if (!res.ok) throw new Error(`GET /${svc}/api/openapi.json answered ${res.status}`);
    const doc = (await res.json()) as { paths?: Record<string, unknown> };
    const paths = Object.keys(doc.paths ?? {});
    if (!paths.length) throw new Error(`/${svc}/api/openapi.json declares no paths`);
    for (const p of paths) {
      const source = p
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+');
      patterns.push(new RegExp(`^${source}/?$`));
    }
  }
  return (url: string) => {
    const { pathname } = new URL(url, baseUrl);
    return patterns.some((re) => re.test(pathname));
  };
}

/**
 * A 404 about something the test made up, from an API path a service declares: the honest
 * answer. A 404 from a path nobody declares is a frontend calling an endpoint that does not
 * exist, and stays an error.
 */
export const notFoundOnDeclaredPath =
  (declared: (url: string) => boolean, ...unknownIds: string[]) =>
  (e: ConsoleEntry): boolean => {
    const url = entryUrl(e);
    return notFoundFor(...unknownIds)(e) && url !== undefined && declared(url);
  };

/** True when any of the predicates allows the entry. */
export const anyOf =
  (...allow: ((e: ConsoleEntry) => boolean)[]) =>
  (e: ConsoleEntry): boolean =>
    allow.some((a) => a(e));
