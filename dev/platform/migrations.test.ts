import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { backendDir, SERVICE_NAMES } from './paths';

/** Statements that define code in the database: a function, procedure or trigger. */
const DEFINES_CODE = /\bCREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|TRIGGER|CONSTRAINT\s+TRIGGER)\b/i;

/** Every SQL statement a migration's `up` sends (recorded, not run). */
async function statementsOf(migration: MigrationInterface): Promise<string[]> {
  const sent: string[] = [];
  const recorder = {
    query: (sql: string) => {
      sent.push(sql);
      return Promise.resolve([]);
    },
  };
  await migration.up(recorder as unknown as QueryRunner);
  return sent;
}

/**
 * Migrations hold tables; SQL functions are source code in each service's
 * `src/data/sql/`, applied at every start (libs/common syncSqlFunctions). A function
 * body copied into a migration is a second definition nobody reviews against the first.
 */
describe.each(SERVICE_NAMES)('%s: schema sources', (svc) => {
  const data = path.join(backendDir(svc), 'src/data');

  it('when its migrations run, then none of them defines a function, procedure or trigger', async () => {
    const { migrations } = (await import(path.join(data, 'migrations'))) as {
      migrations: (new () => MigrationInterface)[];
    };
    expect(migrations.length).toBeGreaterThan(0);
    for (const M of migrations) {
      const defining = (await statementsOf(new M())).filter((s) => DEFINES_CODE.test(s));
      expect({ migration: M.name, defining }).toEqual({ migration: M.name, defining: [] });
    }
  });

  it('when it has src/data/sql, then every file there defines functions and nothing else', () => {
    const dir = path.join(data, 'sql');
    if (!existsSync(dir)) return;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
      const sql = readFileSync(path.join(dir, file), 'utf8')
        .replace(/\$fn\$[\s\S]*?\$fn\$|\$\$[\s\S]*?\$\$/g, '') // bodies
        .replace(/--.*$/gm, ''); // comments
      const statements = sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean);
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements)
        expect({ file, statement: s }).toEqual({
          file,
          statement: expect.stringMatching(/^CREATE OR REPLACE FUNCTION\b/i),
        });
    }
  });
});
