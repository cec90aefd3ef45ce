import { runMain } from '@ticketslave/common';
import { loadPurchaseConfig } from './config';
import { startPurchaseService } from './start';

runMain(
  'purchase',
  () => loadPurchaseConfig(),
  (config) => startPurchaseService(config),
);
