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
  /** Schema of the success body; documents the API (not enforced at run time). */
  response?: R;
  /** Status of a successful answer (200 by default). */
  status?: number;
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

interface RegisteredRoute {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;
}

export function zodIssuesToFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

function parseOrThrow<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  if (!schema) return value as z.infer<T>;
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = zodIssuesToFieldErrors(result.error, where);
    const first = errors[0];
    throw new InputError(first ? `${first.path || where}: ${first.message}` : `invalid ${where}`, errors);
  }
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
        if (result === undefined) res.status(spec.status ?? 204).end();
        else await sendJson(req, res, spec.status ?? 200, result);
      } catch (err) {
        next(err);
      }
    };
    this.router[spec.method](spec.path, ...(spec.before ?? []), run);
    return this;
  }

  /** OpenAPI 3.1 paths for the routes, mounted under `basePath`. */
  openApiPaths(basePath: string): Record<string, Record<string, unknown>> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { spec } of this.routes) {
      const oaPath = basePath + spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [
        ['path', spec.params],
        ['query', spec.query],
      ] as const) {
        if (!schema) continue;
        const json = toJsonSchema(schema, 'input') as {
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
        responses: {
          [String(spec.status ?? 200)]: spec.response
            ? {
                description: 'Success',
                content: { 'application/json': { schema: toJsonSchema(spec.response, 'output') } },
              }
            : { description: 'Success' },
          default: {
            description: 'Error (problem+json)',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      };
      if (spec.body) {
        operation.requestBody = {
          required: true,
          content: { 'application/json': { schema: toJsonSchema(spec.body, 'input') } },
        };
      }
      if (spec.auth && spec.auth !== 'none') operation.security = [{ [spec.auth]: [] }];
      (paths[oaPath] ??= {})[spec.method] = operation;
    }
    return paths;
  }
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
}

export function openApiDocument(
  service: string,
  api: ApiRouter,
  extraPaths: Record<string, Record<string, unknown>> = {},
) {
  return {
    openapi: '3.1.0',
    info: { title: `TicketSlave ${service} API`, version: '1.0.0' },
    servers: [{ url: '/' }],
    paths: { ...api.openApiPaths(`/${service}/api`), ...extraPaths },
    components: {
      schemas: {
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
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'ts_session' },
        'queue-ticket': { type: 'apiKey', in: 'cookie', name: 'ts_qt_<eventId>' },
        admission: { type: 'apiKey', in: 'cookie', name: 'ts_adm_<eventId>' },
      },
    },
  };
}
