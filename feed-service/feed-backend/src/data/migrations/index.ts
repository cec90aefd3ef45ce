import { Accounts1700000000001 } from './0001-accounts';
import { Events1700000000002 } from './0002-events';

// Migrations of the feed schema, in order. Each is a TypeORM MigrationInterface class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [Accounts1700000000001, Events1700000000002];
