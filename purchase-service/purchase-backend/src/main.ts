import { createLogger, runMain } from '@ticketslave/common';
import { loadPurchaseConfig } from './config';
import { startPurchaseService } from './start';

const config = loadPurchaseConfig();
runMain('purchase', () => startPurchaseService(config), createLogger('purchase', config.LOG_LEVEL));
