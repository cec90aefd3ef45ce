import path from 'node:path';
import { sqlFunctionsIn, type SqlSource } from '@ticketslave/common';

export { migrations } from './migrations';

/**
 * The payment schema's SQL functions (`sql/`), applied at every start after the
 * migrations. Read next to this module: `src/data/sql`, or `dist/sql` in the production
 * bundle (scripts/bundle-backend.mjs copies it there).
 */
export const sqlFunctions = (): SqlSource[] => sqlFunctionsIn(path.join(__dirname, 'sql'));
