import { createLogger, runMain } from '@ticketslave/common';
import { loadBufferConfig } from './config';
import { startBufferService } from './start';

const config = loadBufferConfig();
runMain('buffer', () => startBufferService(config), createLogger('buffer', config.LOG_LEVEL));
