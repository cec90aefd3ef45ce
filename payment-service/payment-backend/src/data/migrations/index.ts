import { Payments1764172800000 } from './0001-payments';

// Migrations of the payment schema, in order. Each is a TypeORM MigrationInterface class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [Payments1764172800000];
