import type { AppContext } from '../src/app/app-context.js';
import { exampleConfig } from '../src/config/example-config.js';
import { parseConfig } from '../src/config/load-config.js';
import { fixedClock, type Clock } from '../src/domain/clock.js';
import type { Store } from '../src/store/store.js';

const config = parseConfig(exampleConfig(), 'roster.yaml').config;

/**
 * A use case's context for tests: the example roster.yaml, the clock fixed
 * at `at` (or a test's own clock), a fixed HMAC key and a hasher that is
 * never asked (no password is set), quiet logs; `overrides` replaces any of
 * these (a test's own roster.yaml as `config`).
 */
export function exampleAppContext(store: Store, at: string | Clock, overrides: Partial<AppContext> = {}): AppContext {
  return {
    store,
    config,
    clock: typeof at === 'string' ? fixedClock(new Date(at)) : at,
    actor: 'test',
    hmacKey: Buffer.alloc(32, 3),
    hasher: { hash: () => '$y$not-used' },
    log: { info: () => undefined, warn: () => undefined },
    ...overrides,
  };
}
