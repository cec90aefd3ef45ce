import { BufferTables1700000000000 } from './1700000000000-buffer-tables';
import { JoinFunction1700000000001 } from './1700000000001-join-function';
import { NumbersTable1700000000002 } from './1700000000002-numbers-table';
import { JoinMany1700000000003 } from './1700000000003-join-many';
import { JoinManyGenericPlans1700000000004 } from './1700000000004-join-many-generic-plans';
import { JoinManyKeyedReadback1700000000005 } from './1700000000005-join-many-keyed-readback';

// Migrations of the buffer schema, in order. Each is a TypeORM MigrationInterface class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  BufferTables1700000000000,
  JoinFunction1700000000001,
  NumbersTable1700000000002,
  JoinMany1700000000003,
  JoinManyGenericPlans1700000000004,
  JoinManyKeyedReadback1700000000005,
];
