import { runMain } from '@ticketslave/common';
import { loadBufferConfig } from './config';
import { startBufferService } from './start';

runMain(
  'buffer',
  () => loadBufferConfig(),
  (config) => startBufferService(config),
);
