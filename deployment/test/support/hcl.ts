import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEPLOYMENT = path.join(REPO_ROOT, 'deployment');
export const SERVICES = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export const PORTS: Record<(typeof SERVICES)[number], number> = {
  feed: 8081,
  buffer: 8082,
  queue: 8083,
  purchase: 8084,
  payment: 8085,
};

/** Variables that hold secrets: never plain environment, never committed. */
export const SECRET_VARS = [
  'DATABASE_URL',
  'KAFKA_SASL_PASSWORD',
  'SESSION_SIGNING_JWKS',
  'BUFFER_SIGNING_JWKS',
  'POW_HMAC_KEY',
  'QUEUE_SIGNING_JWKS',
  'TICKET_SIGNING_JWKS',
  'WALLET_PASS_SIGNING',
  'SMTP_URL',
  'GOOGLE_CLIENT_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'POSTGRES_PASSWORD',
];

// hcl2json's JSON: blocks are objects keyed by labels, each ending in an array of bodies.
export type Body = Record<string, unknown>;
export type Hcl = {
  variable?: Record<string, Body[]>;
  resource?: Record<string, Record<string, Body[]>>;
  data?: Record<string, Record<string, Body[]>>;
  module?: Record<string, Body[]>;
  locals?: Body[];
  output?: Record<string, Body[]>;
  terraform?: Body[];
  provider?: Record<string, Body[]>;
};

export interface TfDir {
  dir: string;
  files: string[];
  /** Source without comments, for reference scans. */
  text: string;
  hcl: Hcl;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    if (Array.isArray(prev) && Array.isArray(v)) out[k] = [...prev, ...v];
    else if (prev && v && typeof prev === 'object' && typeof v === 'object')
      out[k] = deepMerge(prev as Body, v as Body);
    else out[k] = v;
  }
  return out;
}

export function stripComments(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.replace(/(^|\s)(#|\/\/).*$/, '$1'))
    .join('\n');
}

export async function loadTfDir(dir: string): Promise<TfDir> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .map((f) => path.join(dir, f));
  let hcl: Record<string, unknown> = {};
  let text = '';
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    text += stripComments(src) + '\n';
    hcl = deepMerge(hcl, await parse(file, src));
  }
  return { dir, files, text, hcl };
}

export async function parseHclFile(file: string): Promise<Body> {
  return (await parse(file, readFileSync(file, 'utf8'))) as Body;
}

export function moduleDirs(): string[] {
  const root = path.join(DEPLOYMENT, 'modules');
  return readdirSync(root)
    .map((d) => path.join(root, d))
    .filter((d) => statSync(d).isDirectory());
}

export function resources(tf: TfDir, type: string): Record<string, Body> {
  const byName = tf.hcl.resource?.[type] ?? {};
  return Object.fromEntries(Object.entries(byName).map(([name, bodies]) => [name, bodies[0]!]));
}

export function variableDefault(tf: TfDir, name: string): unknown {
  return tf.hcl.variable?.[name]?.[0]?.default;
}

/** The merged `locals` of a directory. */
export function locals(tf: TfDir): Body {
  return Object.assign({}, ...(tf.hcl.locals ?? []));
}

/** First body of a nested block, e.g. block(b, 'encryption_info'). */
export function block(body: Body | undefined, name: string): Body | undefined {
  const v = body?.[name];
  return Array.isArray(v) ? (v[0] as Body) : undefined;
}
