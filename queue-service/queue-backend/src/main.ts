import { runMain } from '@ticketslave/common';
import { loadQueueConfig } from './config';
import { startQueueService } from './start';

runMain(
  'queue',
  () => loadQueueConfig(),
  (config) => startQueueService(config),
);
