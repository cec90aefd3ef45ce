import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from './openapi-documents';

const ROOT = path.resolve(__dirname, '../..');

/** The browser code: every frontend's sources and libs/ui. */
const BROWSER_SOURCES = [...SERVICES.map((s) => `${s}-service/${s}-frontend/src`), 'libs/ui/src'];

/**
 * Addresses under `/<svc>/api/` a page may still name as text, each with why: a browser
 * navigation into a redirect flow, not an API answering JSON, so not in any OpenAPI document.
 */
const NOT_AN_API_CALL: Record<string, string> = {
  '/feed/api/auth/google': 'the Google sign-in link: a redirect to Google and back, no JSON',
};

const API_PATH = new RegExp(`(['"\`])/(?:${SERVICES.join('|')})/api/[^'"\`]*`, 'g');

/**
 * Where an API path may appear as text: as the path of a typed client call
 * (`feedApi.GET('/feed/api/…'`), of `apiHref(client, '/…'`, or in a type
 * (`paths['/…']`, `ApiAnswer<paths, '/…'>`, an alias's `<'/…'>`), all checked by the compiler
 * against the generated types.
 */
const TYPED_CONTEXT = [
  /\.(?:GET|POST|PUT|PATCH|DELETE)\(\s*$/,
  /\bapiHref\(\s*\w+,\s*$/,
  /\b[Pp]aths\[\s*$/,
  /\bApiAnswer<\s*\w+,\s*$/,
  /\b[A-Z]\w*<\s*$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(p);
    return /\.(ts|svelte)$/.test(entry.name) && !/\.(d|spec)\.ts$/.test(entry.name) ? [p] : [];
  });
}

/** Each raw API path in `text` (a file's source), as `line: path`. */
export function rawApiPaths(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(API_PATH)) {
    const literal = match[0].slice(1);
    const before = text.slice(Math.max(0, match.index - 80), match.index);
    if (TYPED_CONTEXT.some((context) => context.test(before))) continue;
    if (
      Object.keys(NOT_AN_API_CALL).some((allowed) => literal === allowed || literal.startsWith(`${allowed}?`))
    )
      continue;
    const line = text.slice(0, match.index).split('\n').length;
    found.push(`${line}: ${literal}`);
  }
  return found;
}

describe('how the frontends call the APIs', () => {
  it('when a frontend or libs/ui names an API path, then it is the path of a typed client call', () => {
    const files = BROWSER_SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(50);
    const raw = files.flatMap((file) =>
      rawApiPaths(readFileSync(file, 'utf8')).map((hit) => `${path.relative(ROOT, file)}:${hit}`),
    );
    expect(raw).toEqual([]);
  });

  it('when the untyped helper or a raw path comes back, then the check names it', () => {
    const page = [
      `const events = await api('/feed/api/events', { signal });`,
      'const me = await fetch(`/buffer/api/events/${id}/entries/me`);',
      `<a href="/purchase/api/organiser/events/x/orders.csv">CSV</a>`,
      `const ok = await answer(feedApi.GET('/feed/api/events/{id}', { params: { path: { id } } }));`,
      `const csv = apiHref(purchaseApi, '/purchase/api/organiser/events/{id}/orders.csv', { path: { id } });`,
      `type Audit = paths['/feed/api/organiser/events/{id}/audit']['get'];`,
      `<a href={\`/feed/api/auth/google?next=\${next}\`}>Google</a>`,
    ].join('\n');
    expect(rawApiPaths(page)).toEqual([
      '1: /feed/api/events',
      '2: /buffer/api/events/${id}/entries/me',
      '3: /purchase/api/organiser/events/x/orders.csv',
    ]);
  });

  it('when the allowed navigations are listed, then each is still in a page (else: drop it from the list)', () => {
    const sources = BROWSER_SOURCES.flatMap((dir) => sourceFiles(path.join(ROOT, dir)))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const allowed of Object.keys(NOT_AN_API_CALL)) expect(sources).toContain(allowed);
  });
});
