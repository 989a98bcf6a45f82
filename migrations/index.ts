import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as approversChannel from './0002-approvers-channel.js';
import * as conversationRefs from './0003-conversation-refs.js';
import * as requestsByGrant from './0004-requests-by-grant.js';
import * as leasesAndPacing from './0005-leases-and-pacing.js';
import * as oneActiveGrant from './0006-one-active-grant.js';

/**
 * Every migration, by name; names sort in the order they run. A static list (not a folder
 * scan) so the same code runs under vitest on `.ts` files and compiled to `.js`.
 */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-approvers-channel': approversChannel,
  '0003-conversation-refs': conversationRefs,
  '0004-requests-by-grant': requestsByGrant,
  '0005-leases-and-pacing': leasesAndPacing,
  '0006-one-active-grant': oneActiveGrant,
};
