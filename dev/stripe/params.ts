import { invalidParam, missingParam, unknownParam } from './errors';
import type { FormObject, FormValue } from './form';

/**
 * Typed reads of a decoded form body. Every read names the full Stripe parameter path so
 * errors point at the right `param`, as Stripe's do.
 */
export class Params {
  constructor(
    private readonly values: FormObject,
    private readonly prefix = '',
  ) {}

  /** Refuses keys the stand-in does not implement, rather than silently ignoring them. */
  only(allowed: readonly string[]): this {
    for (const key of Object.keys(this.values)) {
      if (!allowed.includes(key)) throw unknownParam(this.path(key));
    }
    return this;
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  string(key: string): string | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string')
      throw invalidParam(
        this.path(key),
        `Invalid string: ${this.path(key)} must be a string.`,
        'parameter_invalid_string',
      );
    // Stripe treats an empty value as "unset" (that is how the SDK sends null).
    return v === '' ? undefined : v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined) throw missingParam(this.path(key));
    return v;
  }

  enumOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      throw invalidParam(
        this.path(key),
        `Invalid ${this.path(key)}: must be one of ${allowed.join(', ')}`,
        'parameter_invalid_string',
      );
    }
    return v as T;
  }

  integer(key: string): number | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v))
      throw invalidParam(this.path(key), `Invalid integer: ${v}`, 'parameter_invalid_integer');
    return Number(v);
  }

  requiredInteger(key: string): number {
    const v = this.integer(key);
    if (v === undefined) throw missingParam(this.path(key));
    return v;
  }

  object(key: string): Params | undefined {
    const v = this.values[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v === 'string' || Array.isArray(v)) {
      throw invalidParam(
        this.path(key),
        `Invalid object: ${this.path(key)} must be a hash.`,
        'parameter_invalid_string',
      );
    }
    return new Params(v, this.path(key));
  }

  array(key: string): Params[] | undefined {
    const v = this.values[key];
    if (v === undefined || v === '') return undefined;
    if (!Array.isArray(v))
      throw invalidParam(
        this.path(key),
        `Invalid array: ${this.path(key)} must be an array.`,
        'parameter_invalid_string',
      );
    return v.map((item, i) => {
      if (typeof item === 'string' || Array.isArray(item)) {
        throw invalidParam(
          `${this.path(key)}[${i}]`,
          `Invalid object: ${this.path(key)}[${i}] must be a hash.`,
          'parameter_invalid_string',
        );
      }
      return new Params(item, `${this.path(key)}[${i}]`);
    });
  }

  stringList(key: string): string[] {
    const v = this.values[key];
    if (v === undefined || v === '') return [];
    const list: FormValue[] = Array.isArray(v) ? v : [v];
    return list.map((item) => {
      if (typeof item !== 'string')
        throw invalidParam(
          this.path(key),
          `Invalid array: ${this.path(key)} must hold strings.`,
          'parameter_invalid_string',
        );
      return item;
    });
  }

  /** Stripe metadata: up to 50 string keys (40 chars) with string values (500 chars). */
  metadata(key = 'metadata'): Record<string, string> | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (v === '') return {};
    if (typeof v === 'string' || Array.isArray(v))
      throw invalidParam(this.path(key), 'Invalid object', 'parameter_invalid_string');
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string')
        throw invalidParam(
          `${this.path(key)}[${k}]`,
          'Metadata values must be strings.',
          'parameter_invalid_string',
        );
      if (k.length > 40)
        throw invalidParam(
          `${this.path(key)}[${k}]`,
          'Metadata keys can be at most 40 characters long.',
          'parameter_invalid_string',
        );
      if (val.length > 500)
        throw invalidParam(
          `${this.path(key)}[${k}]`,
          'Metadata values can be at most 500 characters long.',
          'parameter_invalid_string',
        );
      if (val !== '') out[k] = val;
    }
    if (Object.keys(out).length > 50)
      throw invalidParam(this.path(key), 'Metadata can have at most 50 keys.', 'parameter_invalid_string');
    return out;
  }

  /** The full Stripe name of a parameter, e.g. `line_items[0][quantity]`. */
  path(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }
}
