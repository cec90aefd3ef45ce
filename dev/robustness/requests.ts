/**
 * Requests to one OpenAPI operation as fast-check values: path parameters, query, body and
 * headers each within the declared schema most of the time, near it or junk otherwise, sent
 * as different kinds of caller (nobody, a fan, an organiser, an admin, a forged cookie).
 */
import fc from 'fast-check';
import { input, junk, nastyString, type JsonSchema, type Resolve } from './arbitraries';

export interface Operation {
  service: string;
  method: string;
  /** OpenAPI path, `{name}` for parameters. */
  path: string;
  pathParams: { name: string; schema: JsonSchema }[];
  queryParams: { name: string; schema: JsonSchema }[];
  body: JsonSchema | undefined;
}

/** `ghost`: a valid session of an account deleted since. */
export type Caller = 'nobody' | 'fan' | 'organiser' | 'admin' | 'forged' | 'admitted' | 'ghost';

export interface ApiRequest {
  path: string;
  query: string;
  caller: Caller;
  /** A JSON value to send, or raw text (malformed JSON and the like). */
  body: { json: unknown } | { raw: string } | undefined;
  contentType: string | undefined;
  headers: Record<string, string>;
}

type OpenApiParam = { name: string; in: string; schema?: JsonSchema };
type OpenApiOp = {
  parameters?: OpenApiParam[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
};

/** Every operation of a service's document, with its parameters and body schema. */
export function operationsOf(service: string, paths: Record<string, Record<string, unknown>>): Operation[] {
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, raw]) => {
      const op = raw as OpenApiOp;
      const params = op.parameters ?? [];
      return {
        service,
        method: method.toUpperCase(),
        path,
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        queryParams: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
      };
    }),
  );
}

/** Header values fetch accepts (printable ASCII). */
const headerText = nastyString.map((s) => s.replace(/[^\x20-\x7e]/g, '').slice(0, 200));

const RAW_BODIES = ['{', '[1,', '{"a":', 'null', '"x"', '0', '[]', '{"__proto__":{"admin":true}}', 'a=1&b=2'];

/** encodeURIComponent, lone surrogates (which it refuses) replaced first. */
const enc = (s: string) =>
  encodeURIComponent(
    s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  );

const scalar = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined ? '' : (JSON.stringify(v) ?? '');

/** A path segment: the value encoded, or now and then raw (malformed percent-encodings included). */
const segment = (schema: JsonSchema, resolve: Resolve, knownIds: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: input(schema, resolve).map((v) => enc(scalar(v)) || '%20') },
    ...(knownIds.length ? [{ weight: 3, arbitrary: fc.constantFrom(...knownIds) }] : []),
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        '..',
        '%2F',
        '%00',
        'null',
        'undefined',
        '-1',
        '1e3',
      ),
    },
  );

/** The query string: declared parameters (each maybe absent, repeated, or in brackets) and unknown ones. */
function queryOf(op: Operation, resolve: Resolve): fc.Arbitrary<string> {
  const declared = op.queryParams.map((p) =>
    fc.option(
      fc
        .tuple(input(p.schema, resolve), fc.constantFrom('plain', 'plain', 'plain', 'repeated', 'bracket'))
        .map(([v, how]) => {
          const value = enc(scalar(v));
          if (how === 'repeated') return `${p.name}=${value}&${p.name}=${value}x`;
          if (how === 'bracket') return `${p.name}[a]=${value}`;
          return `${p.name}=${value}`;
        }),
      { nil: undefined, freq: 3 },
    ),
  );
  const unknown = fc.array(
    fc.tuple(nastyString, junk).map(([k, v]) => `${enc(k)}=${enc(scalar(v))}`),
    { maxLength: 2 },
  );
  // At most 6,000 characters: CloudFront refuses URLs over 8,192 before they reach a service
  // (and Node's parser answers 431, outside the service, to request heads over 16 KB).
  return fc
    .tuple(fc.tuple(...declared), unknown)
    .map(([d, u]) => [...d.filter(Boolean), ...u].join('&').slice(0, 6000));
}

export function requestsTo(op: Operation, resolve: Resolve, knownIds: string[]): fc.Arbitrary<ApiRequest> {
  const path = fc
    .tuple(...op.pathParams.map((p) => segment(p.schema, resolve, knownIds)))
    .map((values) => op.pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i]!), op.path));
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const body: fc.Arbitrary<ApiRequest['body']> = !hasBody
    ? fc.constant(undefined)
    : fc.oneof(
        { weight: 8, arbitrary: (op.body ? input(op.body, resolve) : junk).map((json) => ({ json })) },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((raw) => ({ raw })) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      );
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
        'application/merge-patch+json',
        'multipart/form-data; boundary=x',
      ),
    },
  );
  const caller = fc.constantFrom<Caller>(
    'nobody',
    'fan',
    'admitted',
    'organiser',
    'organiser',
    'admin',
    'forged',
    'ghost',
  );
  const headers = fc.record(
    {
      'x-request-id': headerText,
      'if-none-match': headerText,
      'accept-encoding': fc.constantFrom('gzip', 'identity', 'br;q=0', '*;q=0'),
      'accept-language': headerText,
    },
    { requiredKeys: [] },
  );
  return fc.record({ path, query: queryOf(op, resolve), caller, body, contentType, headers });
}
