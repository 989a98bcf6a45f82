import { afterEach, beforeEach, describe } from 'vitest';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { describeAuditContract } from './contract-audit.js';
import { describeDirectoryContract } from './contract-directory.js';
import { describeLeaseContract } from './contract-leases.js';
import { describeOutboxContract } from './contract-outbox.js';
import { describeRequestsContract } from './contract-requests.js';
import type { MakeStore, StoreUnderTest } from './fixtures.js';

/**
 * The store contract: every database the store supports must pass it. `makeStore` gives a
 * fresh, migrated, empty store for each test.
 */
export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`store contract: ${name}`, () => {
    const current = useStore(makeStore);
    describeDirectoryContract(current);
    describeRequestsContract(current);
    describeAuditContract(current);
    describeOutboxContract(current);
    describeLeaseContract(current);
  });
}

/** The store of the running test. */
export type CurrentStore = () => KyselyStore;

function useStore(makeStore: MakeStore): CurrentStore {
  let under: StoreUnderTest | undefined;
  beforeEach(async () => {
    under = await makeStore();
  });
  afterEach(async () => {
    await under?.close();
    under = undefined;
  });
  return () => {
    if (!under) throw new Error('no store: call inside a test');
    return under.store;
  };
}
