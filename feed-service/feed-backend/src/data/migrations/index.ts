import { Accounts1700000000001 } from './0001-accounts';
import { Events1700000000002 } from './0002-events';
import { FeedPrices1700000000003 } from './0003-feed-prices';
import { VenueTime1700000000004 } from './0004-venue-time';
import { Organisations1700000000005 } from './0005-organisations';
import { KnownClients1700000000006 } from './0006-known-clients';

// Migrations of the feed schema, in order: tables only (the SQL functions are in ../sql).
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  Accounts1700000000001,
  Events1700000000002,
  FeedPrices1700000000003,
  VenueTime1700000000004,
  Organisations1700000000005,
  KnownClients1700000000006,
];
