import { cronConfigSchema } from '../targets/cron/cron-config.js';
import { homesConfigSchema } from '../targets/homes/homes-config.js';
import { loginConfigSchema } from '../targets/login/login-config.js';
import { quotaConfigSchema } from '../targets/quota/quota-config.js';
import { unixConfigSchema } from '../targets/unix/unix-config.js';
import { archiveSpaceCheck } from './checks/archive-space-check.js';
import { cronCheck } from './checks/cron-check.js';
import { loginCheck } from './checks/login-check.js';
import { nameCacheCheck } from './checks/name-cache-check.js';
import { quotaCheck } from './checks/quota-check.js';
import { targetDoctor, type TargetDoctor } from './target-check.js';

/**
 * The targets that need something of the machine beyond their own files,
 * each with its check. A target without an entry needs nothing doctor can
 * see (processes, limits, hooks).
 */
export const targetDoctors: readonly TargetDoctor[] = [
  targetDoctor('login', loginConfigSchema, loginCheck),
  targetDoctor('cron', cronConfigSchema, cronCheck),
  targetDoctor('homes', homesConfigSchema, archiveSpaceCheck),
  targetDoctor('unix', unixConfigSchema, nameCacheCheck),
  targetDoctor('quota', quotaConfigSchema, quotaCheck),
];
