import { Initial1700000000001 } from './1700000000001-initial';
import { MailOutbox1700000000004 } from './1700000000004-mail-outbox';
import { Organisers1700000000006 } from './1700000000006-organisers';
import { CheckinScans1700000000009 } from './1700000000009-checkin-scans';
import { OrderPersons1700000000018 } from './1700000000018-order-persons';
import { CardLimits1700000000019 } from './1700000000019-card-limits';
import { AdmissionRetry1700000000020 } from './1700000000020-admission-retry';
import { CancellationMail1700000000023 } from './1700000000023-cancellation-mail';
import { TicketCodeRotation1700000000025 } from './1700000000025-ticket-code-rotation';
import { TurnNearMail1700000000032 } from './1700000000032-turn-near-mail';

// Migrations of the purchase schema, in order: tables only (the SQL functions are in ../sql).
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  Initial1700000000001,
  MailOutbox1700000000004,
  Organisers1700000000006,
  CheckinScans1700000000009,
  OrderPersons1700000000018,
  CardLimits1700000000019,
  AdmissionRetry1700000000020,
  CancellationMail1700000000023,
  TicketCodeRotation1700000000025,
  TurnNearMail1700000000032,
];
