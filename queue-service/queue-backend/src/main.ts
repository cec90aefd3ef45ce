import { createLogger, runMain } from '@ticketslave/common';
import { loadQueueConfig } from './config';
import { startQueueService } from './start';

const config = loadQueueConfig();
runMain('queue', () => startQueueService(config), createLogger('queue', config.LOG_LEVEL));
