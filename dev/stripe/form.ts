import { StripeApiError } from './errors';

/** A decoded Stripe form body: strings at the leaves, as Stripe receives them. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

/**
 * Decodes `a[b][0][c]=v` bodies the way Stripe does. Arrays arrive as indexed keys
 * (`line_items[0][quantity]`) or as `expand[]`; both become real arrays here, except under
 * `metadata`, whose keys are the caller's own and may well look like numbers.
 */
export function parseStripeForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = splitKey(rawKey);
    if (path.length === 0) continue;
    assign(root, path, value, rawKey);
  }
  return normaliseArrays(root, false) as FormObject;
}

function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first === -1) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key.slice(first))) !== null) parts.push(m[1] ?? '');
  return parts;
}

function assign(target: FormObject, path: string[], value: string, rawKey: string): void {
  let node: FormObject = target;
  for (let i = 0; i < path.length; i++) {
    let seg = path[i] as string;
    const last = i === path.length - 1;
    // `expand[]=a&expand[]=b`: an empty segment appends.
    if (seg === '') seg = String(Object.keys(node).length);
    if (last) {
      if (seg in node && typeof node[seg] !== 'string') throw invalidKey(rawKey);
      node[seg] = value;
      return;
    }
    const existing = node[seg];
    if (existing === undefined) {
      const child: FormObject = {};
      node[seg] = child;
      node = child;
    } else if (typeof existing === 'string' || Array.isArray(existing)) {
      throw invalidKey(rawKey);
    } else {
      node = existing;
    }
  }
}

function invalidKey(key: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    message: `Invalid request: the parameter ${key} conflicts with another parameter of the same name.`,
    param: key,
  });
}

function normaliseArrays(value: FormValue, underMetadata: boolean): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const entries = keys.map((k) => [k, normaliseArrays(value[k] as FormValue, k === 'metadata')] as const);
  const indexed = keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
  if (indexed && !underMetadata) {
    return entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

/** Stable text of a parsed body, so a replayed idempotent request can be compared with the first. */
export function canonicalForm(value: FormValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalForm).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalForm(value[k])}`).join(',')}}`;
}
