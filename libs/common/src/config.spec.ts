import { z } from 'zod';
import { baseConfigShape, ConfigError, loadConfig } from './config';

const shape = {
  ...baseConfigShape,
  PORT: z.coerce.number().int().default(8081),
  SECRET_KEY: z.string().min(8),
};
const good = {
  DATABASE_URL: 'postgres://u@localhost:5432/db',
  KAFKA_BROKERS: '127.0.0.1:9092',
  SECRET_KEY: 'abcdefghij',
};

describe('loadConfig', () => {
  it('parses a valid environment with defaults', () => {
    const c = loadConfig('svc', shape, good);
    expect(c.PORT).toBe(8081);
    expect(c.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every missing and malformed variable in one error', () => {
    let error: unknown;
    try {
      loadConfig('svc', shape, { KAFKA_BROKERS: 'not-a-broker', PORT: 'eighty' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('DATABASE_URL: missing');
    expect(message).toContain('SECRET_KEY: missing');
    expect(message).toMatch(/KAFKA_BROKERS.*host:port/);
    expect(message).toMatch(/PORT/);
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadConfig('svc', shape, { ...good, SECRET_KEY: '' })).toThrow('SECRET_KEY: missing');
  });
});
