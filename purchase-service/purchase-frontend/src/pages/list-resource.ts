import { api, isApiError, Resource } from '@ticketslave/ui';

/**
 * Loads a list endpoint that may not be deployed yet: 404 means "nothing yet",
 * 401 and other failures are real errors (the page offers log-in or retry).
 */
export function listResource<T>(path: string): Resource<T[]> {
  return new Resource(async (signal) => {
    try {
      const body = await api<unknown>(path, { signal });
      const list = Array.isArray(body) ? body : (body as { items?: unknown } | undefined)?.items;
      return Array.isArray(list) ? (list as T[]) : [];
    } catch (e) {
      if (isApiError(e) && e.status === 404) return [];
      throw e;
    }
  });
}
