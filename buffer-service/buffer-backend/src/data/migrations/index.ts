import { BufferTables1700000000000 } from './1700000000000-buffer-tables';
import { NumbersTable1700000000002 } from './1700000000002-numbers-table';
import { DrawV21700000000003 } from './1700000000003-draw-v2';
import { FairnessEtag1700000000004 } from './1700000000004-fairness-etag';
import { JoinPow1700000000017 } from './1700000000017-join-pow';
import { EntryPersons1700000000018 } from './1700000000018-entry-persons';
import { EntriesByFan1700000000027 } from './1700000000027-entries-by-fan';
import { NumbersByEvent1700000000041 } from './1700000000041-numbers-by-event';

// Migrations of the buffer schema, in order: tables only (the SQL functions are in ../sql).
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [
  BufferTables1700000000000,
  NumbersTable1700000000002,
  DrawV21700000000003,
  FairnessEtag1700000000004,
  JoinPow1700000000017,
  EntryPersons1700000000018,
  EntriesByFan1700000000027,
  NumbersByEvent1700000000041,
];
