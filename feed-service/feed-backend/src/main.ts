import { runMain } from '@ticketslave/common';
import { loadFeedConfig } from './config';
import { startFeedService } from './start';

runMain(
  'feed',
  () => loadFeedConfig(),
  (config) => startFeedService(config),
);
