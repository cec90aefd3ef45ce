import { createLogger, runMain } from '@ticketslave/common';
import { loadPaymentConfig } from './config';
import { startPaymentService } from './start';

const config = loadPaymentConfig();
runMain('payment', () => startPaymentService(config), createLogger('payment', config.LOG_LEVEL));
