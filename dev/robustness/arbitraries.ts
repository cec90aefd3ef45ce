/**
 * fast-check arbitraries from the JSON Schemas of the services' OpenAPI documents: values
 * within a schema, values just outside it (a field dropped, mistyped, out of range, an
 * unknown one added) and plain junk, so a route's validation, auth and domain all get tried.
 */
import fc from 'fast-check';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
};

/** Resolves `#/components/schemas/X` against the document's components. */
export type Resolve = (ref: string) => JsonSchema;

/** Strings that have broken parsers elsewhere: encodings, control characters, huge, prototype keys. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '%',
  '%zz',
  '%E0%A4%A',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  "'; DROP TABLE orders; --",
  '\uD800',
  '💥'.repeat(50),
  'a'.repeat(5000),
  '1e309',
  '-0',
  'NaN',
  'null',
  '[object Object]',
  '<script>alert(1)</script>',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Any JSON value, small, with the odd nasty string and extreme number. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: nastyString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Number.MAX_SAFE_INTEGER + 2,
      -1,
      0,
      1.5,
      2 ** 31,
      -(2 ** 63),
      1e308,
      true,
      null,
      [],
      {},
    ),
  },
);

const deref = (s: JsonSchema, resolve: Resolve): JsonSchema => (s.$ref ? deref(resolve(s.$ref), resolve) : s);

function stringWithin(s: JsonSchema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 60, Math.max(min, 60));
  if (s.format === 'uuid') return fc.uuid();
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'date-time')
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (s.format === 'date')
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
  if (s.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(s.pattern))
        .filter((x) => x.length >= min && x.length <= (s.maxLength ?? Infinity));
    } catch {
      // a pattern fast-check cannot invert: plain strings then
    }
  }
  return fc.string({ minLength: min, maxLength: max });
}

function numberWithin(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 100_000);
  if (integer) return fc.integer({ min: Math.ceil(min), max: Math.max(Math.ceil(min), Math.floor(max)) });
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** A value the schema accepts (as far as a generator can tell: patterns are best effort). */
export function within(schema: JsonSchema, resolve: Resolve, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema, resolve);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => within(a, resolve, depth + 1)));
  if (s.allOf?.length) return within(s.allOf[0]!, resolve, depth + 1);
  const type: string = (Array.isArray(s.type) ? s.type[0] : s.type) ?? 'object';
  switch (type) {
    case 'string':
      return stringWithin(s);
    case 'integer':
      return numberWithin(s, true);
    case 'number':
      return numberWithin(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const minLength = s.minItems ?? 0;
      return fc.array(within(s.items ?? {}, resolve, depth + 1), {
        minLength,
        maxLength: Math.min(s.maxItems ?? 4, Math.max(minLength, 4)),
      });
    }
    case 'object':
    default: {
      if (!s.properties) return depth > 0 ? junk : fc.constant({});
      const required = new Set(s.required ?? []);
      const model = Object.fromEntries(
        Object.entries(s.properties).map(([k, v]) => [k, within(v, resolve, depth + 1)]),
      );
      return fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
    }
  }
}

/**
 * A value close to the schema but not in it: one property dropped, replaced by junk or an
 * unknown one added (objects), an item made junk (arrays), out of range or mistyped (scalars).
 */
export function outside(schema: JsonSchema, resolve: Resolve): fc.Arbitrary<unknown> {
  const s = deref(schema, resolve);
  const valid = within(s, resolve);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const mutations: fc.Arbitrary<unknown>[] = [junk];
  if (s.properties) {
    const keys = Object.keys(s.properties);
    mutations.push(
      fc.tuple(valid, fc.constantFrom(...keys), junk).map(([v, k, j]) => ({ ...(v as object), [k]: j })),
      fc.tuple(valid, fc.constantFrom(...keys)).map(([v, k]) => {
        const copy = { ...(v as Record<string, unknown>) };
        delete copy[k];
        return copy;
      }),
      fc.tuple(valid, nastyString, junk).map(([v, k, j]) => ({ ...(v as object), [k]: j })),
    );
  }
  if (type === 'array') mutations.push(fc.tuple(valid, junk).map(([v, j]) => [...(v as unknown[]), j]));
  if (type === 'integer' || type === 'number')
    mutations.push(
      fc.constantFrom(
        (s.maximum ?? 1e9) + 1,
        (s.minimum ?? -1e9) - 1,
        0.5,
        Number.MAX_SAFE_INTEGER + 2,
        '12',
        '1e3',
      ),
    );
  if (type === 'string')
    mutations.push(nastyString, fc.constant('x'.repeat((s.maxLength ?? 5000) + 1)), fc.integer());
  return fc.oneof(...mutations);
}

/** Mostly valid, sometimes near-valid, now and then junk: most inputs get past validation. */
export function input(schema: JsonSchema, resolve: Resolve): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: within(schema, resolve) },
    { weight: 3, arbitrary: outside(schema, resolve) },
    { weight: 1, arbitrary: junk },
  );
}
