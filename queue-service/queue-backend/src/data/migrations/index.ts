import { QueueSchema1700000000001 } from './1700000000001-queue-schema';
import { SaleStartsAt1700000000002 } from './1700000000002-sale-starts-at';
import { CurrentOrder1700000000003 } from './1700000000003-current-order';
import { FansByUser1700000000028 } from './1700000000028-fans-by-user';
import { NearTurnMails1700000000032 } from './1700000000032-near-turn-mails';

// Migrations of the queue schema, in order. Each is a TypeORM MigrationInterface class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  QueueSchema1700000000001,
  SaleStartsAt1700000000002,
  CurrentOrder1700000000003,
  FansByUser1700000000028,
  NearTurnMails1700000000032,
];
