/**
 * A small client-side path router for one frontend mounted under a base path
 * (`/purchase/`). Paths inside the app are written relative to the base:
 * `router.path === '/orders'` for `/purchase/orders`. Links to other services
 * (`/feed/`) are left to the browser: they are different apps.
 */

export type RouteParams = Record<string, string>;

export interface RouteMatch<Name extends string = string> {
  name: Name;
  params: RouteParams;
}

/** `matchRoute('/events/:id', '/events/42')` → `{ id: '42' }`; `*` matches the rest. */
export function matchRoute(pattern: string, path: string): RouteParams | null {
  const want = trimSlashes(pattern).split('/').filter(Boolean);
  const have = trimSlashes(path).split('/').filter(Boolean);
  const params: RouteParams = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment === '*') {
      params['rest'] = have.slice(i).map(safeDecode).join('/');
      return params;
    }
    const actual = have[i];
    if (actual === undefined) return null;
    if (segment.startsWith(':')) {
      params[segment.slice(1)] = safeDecode(actual);
    } else if (segment !== actual) {
      return null;
    }
  }
  return want.length === have.length ? params : null;
}

function trimSlashes(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class Router {
  /** `/purchase/` (always with both slashes). */
  readonly base: string;
  /** Path inside the app, always starting with `/`: `/`, `/orders`, `/events/42`. */
  path = $state('/');
  /** The query string including `?`, or ''. */
  search = $state('');
  hash = $state('');

  readonly query: URLSearchParams = $derived(new URLSearchParams(this.search));

  #stop: (() => void) | null = null;

  constructor(base: string = import.meta.env.BASE_URL) {
    this.base = '/' + trimSlashes(base) + (trimSlashes(base) ? '/' : '');
    if (typeof window !== 'undefined') this.#read();
  }

  /** The full location, e.g. `/purchase/orders?page=2` — what `next=` should carry. */
  get href(): string {
    return this.resolve(this.path) + this.search + this.hash;
  }

  /** Absolute path for an in-app path: `resolve('/orders')` → `/purchase/orders`. */
  resolve(path: string): string {
    return this.base + trimSlashes(path.split(/[?#]/)[0] ?? '') + (path.match(/[?#].*$/)?.[0] ?? '');
  }

  /** The first route whose pattern matches the current path. */
  match<Name extends string>(routes: Record<string, Name>): RouteMatch<Name> | null {
    for (const [pattern, name] of Object.entries(routes) as [string, Name][]) {
      const params = matchRoute(pattern, this.path);
      if (params) return { name, params };
    }
    return null;
  }

  /** Goes to an in-app path (`/orders`) or an absolute URL under the base. */
  navigate(to: string, { replace = false, scroll = true }: { replace?: boolean; scroll?: boolean } = {}): void {
    const url = new URL(to.startsWith(this.base) || /^[a-z]+:/i.test(to) ? to : this.resolve(to), location.href);
    if (url.origin !== location.origin || !this.#inBase(url.pathname)) {
      location.assign(url.href);
      return;
    }
    if (replace) history.replaceState(history.state, '', url.href);
    else history.pushState(null, '', url.href);
    this.#read();
    if (scroll && !url.hash) window.scrollTo(0, 0);
  }

  /** Updates one query parameter in place (no new history entry). */
  setQuery(name: string, value: string | null): void {
    const params = new URLSearchParams(this.search);
    if (value === null) params.delete(name);
    else params.set(name, value);
    const qs = params.toString();
    this.navigate(this.resolve(this.path) + (qs ? `?${qs}` : '') + this.hash, { replace: true, scroll: false });
  }

  /** Starts listening to link clicks and back/forward. Returns the stop function. */
  start(): () => void {
    if (this.#stop) return this.#stop;
    const onPop = () => this.#read();
    const onClick = (event: MouseEvent) => this.#onClick(event);
    window.addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    this.#stop = () => {
      window.removeEventListener('popstate', onPop);
      document.removeEventListener('click', onClick);
      this.#stop = null;
    };
    return this.#stop;
  }

  #inBase(pathname: string): boolean {
    return pathname === this.base.slice(0, -1) || pathname.startsWith(this.base);
  }

  #read(): void {
    const { pathname, search, hash } = location;
    this.path = this.#inBase(pathname) ? '/' + trimSlashes(pathname.slice(this.base.length)) : '/';
    this.search = search;
    this.hash = hash;
  }

  #onClick(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || !anchor.href) return;
    if (anchor.target && anchor.target !== '_self') return;
    if (anchor.hasAttribute('download') || anchor.dataset['reload'] !== undefined || anchor.getAttribute('rel')?.includes('external')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || !this.#inBase(url.pathname)) return;
    // Same page, only the fragment changes: let the browser scroll.
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  }
}
