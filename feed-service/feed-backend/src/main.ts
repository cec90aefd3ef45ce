import { createLogger, runMain } from '@ticketslave/common';
import { loadFeedConfig } from './config';
import { startFeedService } from './start';

const config = loadFeedConfig();
runMain('feed', () => startFeedService(config), createLogger('feed', config.LOG_LEVEL));
