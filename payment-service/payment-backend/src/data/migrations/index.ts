import { Payments1764172800000 } from './0001-payments';
import { Refunds1764172800002 } from './0002-refunds';
import { CancelReason1764172800003 } from './0003-cancel-reason';

// Migrations of the payment schema, in order. Each is a TypeORM MigrationInterface class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  Payments1764172800000,
  Refunds1764172800002,
  CancelReason1764172800003,
];
