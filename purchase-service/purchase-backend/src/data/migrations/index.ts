import { Initial1700000000001 } from './1700000000001-initial';
import { HoldFunction1700000000002 } from './1700000000002-hold-function';
import { HoldFunctionRefusals1700000000003 } from './1700000000003-hold-refusals';
import { MailOutbox1700000000004 } from './1700000000004-mail-outbox';
import { HoldBatches1700000000005 } from './1700000000005-hold-batches';

// Migrations of the purchase schema, in order. Each is a TypeORM MigrationInterface class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  Initial1700000000001,
  HoldFunction1700000000002,
  HoldFunctionRefusals1700000000003,
  MailOutbox1700000000004,
  HoldBatches1700000000005,
];
