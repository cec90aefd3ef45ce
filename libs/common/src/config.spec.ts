import { z } from 'zod';
import { baseConfigShape, ConfigError, loadConfig, requiredInProduction, requiredVariables } from './config';

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

  describe('requiredInProduction', () => {
    const mailShape = {
      ...shape,
      SMTP_URL: requiredInProduction(z.url().optional()),
      MAIL_FROM: requiredInProduction(z.string().default('x <x@localhost>')),
    };

    it('when NODE_ENV is not production, leaves a marked variable unset', () => {
      expect(loadConfig('svc', mailShape, good).SMTP_URL).toBeUndefined();
    });

    it('when NODE_ENV=production and marked variables are unset, names each of them', () => {
      expect(() => loadConfig('svc', mailShape, { ...good, NODE_ENV: 'production' })).toThrow(
        /SMTP_URL: missing \(required when NODE_ENV=production\)[\s\S]*MAIL_FROM: missing/,
      );
      const ok = loadConfig('svc', mailShape, {
        ...good,
        NODE_ENV: 'production',
        SMTP_URL: 'smtp://mail:25',
        MAIL_FROM: 'a <a@b.c>',
        PUBLIC_BASE_URL: 'https://tickets.example.org',
        FEED_JWKS_URL: 'http://feed:8081/feed/.well-known/jwks.json',
        ADMIN_PORT: '9090',
      });
      expect(ok.SMTP_URL).toBe('smtp://mail:25');
    });

    it('requiredVariables lists the marked ones only for production', () => {
      expect(requiredVariables(mailShape, 'development').sort()).toEqual(
        ['DATABASE_URL', 'KAFKA_BROKERS', 'SECRET_KEY'].sort(),
      );
      expect(requiredVariables(mailShape, 'production')).toEqual(
        expect.arrayContaining([
          'DATABASE_URL',
          'SMTP_URL',
          'MAIL_FROM',
          'PUBLIC_BASE_URL',
          'FEED_JWKS_URL',
          'ADMIN_PORT',
        ]),
      );
    });
  });
});
