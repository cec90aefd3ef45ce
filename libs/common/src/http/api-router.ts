import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { z } from 'zod';
import { InputError, type FieldError } from '../errors';
import { sendBody } from './send';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
> {
  method: Method;
  /** Path relative to `/<svc>/api`, Express syntax (`/events/:id`). */
  path: string;
  summary: string;
  tags?: string[];
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Schema of the success body as it goes on the wire (JSON: dates as ISO strings).
   * Required: the OpenAPI document and the generated clients are typed from it, and under
   * NODE_ENV=test every answer is checked against it (a mismatch is a 500). `noContent`
   * for a route that answers nothing; `textBody(type)` for one that streams text (CSV).
   */
  response: R;
  /** Status of a successful answer (200 by default, 204 with `noContent`). */
  status?: number;
  /**
   * Error statuses this route answers besides the ones the declaration implies (400 for
   * bad input, 401 for any auth, 429 for rate limits in `before`), each a problem+json.
   */
  errors?: ProblemStatus[];
  /** Security requirement shown in the OpenAPI document. */
  auth?: 'session' | 'queue-ticket' | 'admission' | 'none';
  /** Middleware run before validation (auth, rate limits). */
  before?: RequestHandler[];
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/** Statuses a route may answer with a problem+json document. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 423 | 429 | 502 | 503;

/** The `response` of a route that answers no body (204 unless `status` says otherwise). */
export const noContent = z.undefined();

const textBodies = new WeakMap<z.ZodType, string>();
/** The `response` of a route that streams a text body of `contentType` itself (a CSV export). */
export function textBody(contentType: string, description: string): z.ZodString {
  const schema = z.string().describe(description);
  textBodies.set(schema, contentType);
  return schema;
}

/**
 * The `response` of a route that sends a file of `contentType` itself (a PDF, a Wallet pass):
 * a binary string in the OpenAPI document, so the client's type says it is not JSON.
 */
export function fileBody(contentType: string, description: string): z.ZodString {
  const schema = z.string().meta({ format: 'binary' }).describe(description);
  textBodies.set(schema, contentType);
  return schema;
}

const rawBodies = new WeakMap<z.ZodType, string>();
/**
 * The `body` of a route that takes a file as it is (an image upload) of `contentType`: a
 * binary string in the OpenAPI document (a `Blob` in the generated clients). Such a route is
 * served outside the router (`servedElsewhere`): the router only parses JSON.
 */
export function rawBody(contentType: string, description: string): z.ZodString {
  const schema = z.string().meta({ format: 'binary' }).describe(description);
  rawBodies.set(schema, contentType);
  return schema;
}

interface RegisteredRoute {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;
}

export function zodIssuesToFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/** Where in a parsed input a string holds U+0000, if anywhere (`body.title`, `query.q`). */
function nulAt(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 32 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value))
    return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = nulAt(v, `${path}.${k}`, depth + 1);
    if (at) return at;
  }
  return undefined;
}

function parseOrThrow<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  if (!schema) return value as z.infer<T>;
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = zodIssuesToFieldErrors(result.error, where);
    const first = errors[0];
    throw new InputError(first ? `${first.path || where}: ${first.message}` : `invalid ${where}`, errors);
  }
  // PostgreSQL's text cannot hold U+0000: refused here, for every route, rather than
  // reaching a query as a 500 ("invalid byte sequence for encoding UTF8: 0x00").
  const nul = nulAt(result.data, where);
  if (nul)
    throw new InputError(`${nul}: may not contain the NUL character (U+0000)`, [
      { path: nul, message: 'may not contain the NUL character (U+0000)' },
    ]);
  return result.data;
}

/** JSON answers at least this long go gzip-compressed to clients that accept it. */
export const GZIP_MIN_BYTES = 8 * 1024;
const gzipAsync = promisify(gzip);

/**
 * Whether an answer of `bytes` goes gzipped: large answers vary by Accept-Encoding
 * (set here) and are compressed for clients that accept gzip.
 */
export function negotiateGzip(req: Request, res: Response, bytes: number): boolean {
  if (bytes < GZIP_MIN_BYTES) return false;
  res.vary('Accept-Encoding');
  return req.acceptsEncodings('gzip', 'identity') === 'gzip';
}

/** Gzip off the event loop; level 1 for very large bodies: most of the saving at a fraction of the time. */
export function gzipBody(body: string | Buffer): Promise<Buffer> {
  return gzipAsync(body, { level: body.length > 1 << 20 ? 1 : 6 });
}

/**
 * Sends `result` as JSON; a large answer (a 50,000-seat map, a fairness document)
 * is gzipped off the event loop when the client accepts it. For GET and HEAD, Express
 * still computes the ETag (per encoding) and answers 304 to a matching If-None-Match;
 * other methods' answers go out without one (see `sendBody`).
 */
export async function sendJson(req: Request, res: Response, status: number, result: unknown): Promise<void> {
  const body = JSON.stringify(result);
  if (!negotiateGzip(req, res, body.length)) {
    sendBody(req, res, status, 'application/json', body);
    return;
  }
  const gz = await gzipBody(body);
  res.setHeader('Content-Encoding', 'gzip');
  sendBody(req, res, status, 'application/json', gz);
}

/**
 * A router whose routes declare their inputs with zod. The same schemas validate
 * requests and generate the service's OpenAPI document, so the two cannot drift.
 */
export class ApiRouter {
  readonly router: Router = express.Router();
  private readonly routes: RegisteredRoute[] = [];
  private checking = false;

  /**
   * From now on every JSON answer is parsed with its route's `response` schema and a
   * mismatch fails the request with a 500 naming the route (the kit turns this on under
   * NODE_ENV=test, so the integration tests hold each declaration to what the route sends).
   */
  checkResponses(on = true): this {
    this.checking = on;
    return this;
  }

  route<
    P extends z.ZodType = z.ZodType<Record<string, string>>,
    Q extends z.ZodType = z.ZodType<Record<string, unknown>>,
    B extends z.ZodType = z.ZodType<unknown>,
    R extends z.ZodType = z.ZodType<unknown>,
  >(
    spec: RouteSpec<P, Q, B, R>,
    handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => unknown,
  ): this {
    this.routes.push({ spec });
    const run = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = parseOrThrow(spec.params, req.params, 'params');
        const query = parseOrThrow(spec.query, req.query, 'query');
        const body = parseOrThrow(spec.body, req.body ?? {}, 'body');
        const result = await handler({ params, query, body, req, res });
        if (res.headersSent) return;
        if (this.checking) checkAnswer(spec, result);
        if (result === undefined) res.status(spec.status ?? 204).end();
        else await sendJson(req, res, spec.status ?? 200, result);
      } catch (err) {
        next(err);
      }
    };
    this.router[spec.method](spec.path, ...(spec.before ?? []), run);
    return this;
  }

  /**
   * Declares a route that another handler serves (an upload that must reach Express before
   * the kit's JSON-only guard): it is in the OpenAPI document and the typed clients like any
   * other route, but nothing here validates or answers it.
   */
  servedElsewhere<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    spec: RouteSpec<P, Q, B, R>,
  ): this {
    this.routes.push({ spec });
    return this;
  }

  /**
   * OpenAPI 3.1 paths for the routes, mounted under `basePath`. Schemas named with
   * `.meta({ id })` go into `schemas` (the document's components) and are referenced.
   */
  openApiPaths(
    basePath: string,
    schemas: Record<string, unknown> = {},
  ): Record<string, Record<string, unknown>> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { spec } of this.routes) {
      const oaPath = basePath + spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [
        ['path', spec.params],
        ['query', spec.query],
      ] as const) {
        if (!schema) continue;
        const json = toJsonSchema(schema, 'input', schemas) as {
          properties?: Record<string, unknown>;
          required?: string[];
        };
        for (const [name, prop] of Object.entries(json.properties ?? {})) {
          parameters.push({
            name,
            in: where,
            required: where === 'path' || (json.required ?? []).includes(name),
            schema: prop,
          });
        }
      }
      const operation: Record<string, unknown> = {
        summary: spec.summary,
        tags: spec.tags,
        parameters,
        responses: { ...successResponse(spec, schemas), ...problemResponses(spec) },
      };
      if (spec.body) {
        operation.requestBody = {
          required: true,
          content: {
            [rawBodies.get(spec.body) ?? 'application/json']: {
              schema: toJsonSchema(spec.body, 'input', schemas),
            },
          },
        };
      }
      if (spec.auth && spec.auth !== 'none') operation.security = [{ [spec.auth]: [] }];
      (paths[oaPath] ??= {})[spec.method] = operation;
    }
    return paths;
  }
}

function successResponse(
  spec: RegisteredRoute['spec'],
  schemas: Record<string, unknown>,
): Record<string, unknown> {
  if (spec.response === noContent) return { [String(spec.status ?? 204)]: { description: 'No content' } };
  const type = textBodies.get(spec.response) ?? 'application/json';
  return {
    [String(spec.status ?? 200)]: {
      description: spec.response.description ?? 'Success',
      content: { [type]: { schema: toJsonSchema(spec.response, 'output', schemas) } },
    },
  };
}

/** Each problem status's shared response in `components.responses`: its name and description. */
const PROBLEM_RESPONSES: Record<ProblemStatus | 'default', [name: string, description: string]> = {
  400: ['BadRequest', 'Invalid input'],
  401: ['Unauthorized', 'Not logged in, or the token is missing or expired'],
  403: ['Forbidden', 'Not allowed'],
  404: ['NotFound', 'Not found'],
  409: ['Conflict', 'Conflicts with the current state'],
  410: ['Gone', 'Gone'],
  413: ['ContentTooLarge', 'Too large'],
  422: ['UnprocessableContent', 'Cannot be processed'],
  423: ['Locked', 'Locked'],
  429: ['TooManyRequests', 'Too many requests (see Retry-After)'],
  502: ['BadGateway', 'An upstream service failed'],
  503: ['ServiceUnavailable', 'Not available now'],
  default: ['Error', 'Error (problem+json)'],
};

/**
 * The problem+json answers a route declares or implies, and `default` for the rest (500s),
 * each a `$ref` to the one shared response in `components.responses` (see `openApiDocument`),
 * so the document and the clients generated from it say each once.
 */
function problemResponses(spec: RegisteredRoute['spec']): Record<string, unknown> {
  const statuses = new Set<ProblemStatus>(spec.errors ?? []);
  if (spec.params || spec.query || spec.body) statuses.add(400);
  if (spec.auth && spec.auth !== 'none') statuses.add(401);
  if (spec.before?.some((m) => RATE_LIMITED.has(m))) statuses.add(429);
  const out: Record<string, unknown> = {};
  for (const status of [...statuses, 'default' as const].sort())
    out[String(status)] = { $ref: `#/components/responses/${PROBLEM_RESPONSES[status][0]}` };
  return out;
}

/** `components.responses`: the problem+json answers, each declared once, of which `paths` refers to. */
function sharedProblemResponses(paths: unknown): Record<string, unknown> {
  const used = new Set(
    [...JSON.stringify(paths).matchAll(/"#\/components\/responses\/([A-Za-z]+)"/g)].map((m) => m[1]),
  );
  const out: Record<string, unknown> = {};
  for (const [name, description] of Object.values(PROBLEM_RESPONSES))
    if (used.has(name))
      out[name] = {
        description,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
  return out;
}

/** Middleware made by `rateLimit`, so a route using one documents its 429. */
export const RATE_LIMITED = new WeakSet<RequestHandler>();

/** Under `checkResponses`: the answer must parse with the declared schema, as JSON would carry it. */
function checkAnswer(spec: RegisteredRoute['spec'], result: unknown): void {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  if (spec.response === noContent) {
    if (result !== undefined) throw new Error(`${where} declares noContent but answered a body`);
    return;
  }
  if (result === undefined) throw new Error(`${where} declares a response but answered nothing`);
  const wire: unknown = JSON.parse(JSON.stringify(result));
  const parsed = spec.response.safeParse(wire);
  if (!parsed.success)
    throw new Error(
      `${where} answered a body its response schema refuses: ${zodIssuesToFieldErrors(parsed.error)
        .slice(0, 5)
        .map((e) => `${e.path || '(root)'}: ${e.message}`)
        .join('; ')}`,
    );
}

/**
 * A zod schema as OpenAPI's JSON Schema; named parts (`.meta({ id })`) move to `schemas`
 * (an input and an output version of one name may differ: the input one gets `Input` appended).
 */
function toJsonSchema(schema: z.ZodType, io: 'input' | 'output', schemas: Record<string, unknown>): unknown {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
  const { $schema: _dialect, $defs, ...rest } = json;
  const name = (id: string) => (io === 'input' ? `${id}Input` : id);
  const rewrite = (value: unknown): unknown =>
    JSON.parse(
      JSON.stringify(value).replace(
        /"#\/\$defs\/([^"]+)"/g,
        (_m, id: string) => `"#/components/schemas/${name(id)}"`,
      ),
    );
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>))
    schemas[name(id)] = rewrite(def);
  return rewrite(rest);
}

/**
 * Stands in for a service's dependencies when its routes are only declared, never served
 * (the OpenAPI documents the frontends' clients are generated from): registering a route
 * just keeps what it is given, and any real use of such a dependency throws.
 */
export function unwired<T>(): T {
  const fail = (): never => {
    throw new Error('unwired: these routes are declared for their OpenAPI document, not served');
  };
  const proxy: unknown = new Proxy(function unwiredDependency() {}, {
    get: (_target, key) => (key === Symbol.toPrimitive ? fail : key === 'then' ? undefined : proxy),
    apply: fail,
    construct: fail,
  });
  return proxy as T;
}

export function openApiDocument(
  service: string,
  api: ApiRouter,
  extraPaths: Record<string, Record<string, unknown>> = {},
) {
  const schemas: Record<string, unknown> = {};
  const paths = { ...api.openApiPaths(`/${service}/api`, schemas), ...extraPaths };
  return {
    openapi: '3.1.0',
    info: { title: `TicketSlave ${service} API`, version: '1.0.0' },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: {
        ...schemas,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
      responses: sharedProblemResponses(paths),
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'ts_session' },
        'queue-ticket': { type: 'apiKey', in: 'cookie', name: 'ts_qt_<eventId>' },
        admission: { type: 'apiKey', in: 'cookie', name: 'ts_adm_<eventId>' },
      },
    },
  };
}
