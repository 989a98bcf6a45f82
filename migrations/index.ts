import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as approversChannel from './0002-approvers-channel.js';
import * as conversationRefs from './0003-conversation-refs.js';
import * as requestsByGrant from './0004-requests-by-grant.js';
import * as apiTokens from './0005-api-tokens.js';
import * as provisioningHooks from './0006-provisioning-hooks.js';
import * as deliveryRequestIds from './0007-delivery-request-ids.js';
import * as leasesAndPacing from './0008-leases-and-pacing.js';
import * as oneActiveGrant from './0009-one-active-grant.js';
import * as identity from './0010-identity.js';
import * as proof from './0011-proof.js';
import * as webConsole from './0013-web-console.js';
import * as accessReviews from './0014-access-reviews.js';
import * as reminders from './0015-reminders.js';
import * as scheduledWindows from './0016-scheduled-windows.js';
import * as breakGlass from './0017-break-glass.js';
import * as onCall from './0018-on-call.js';
import * as deferredAuditChain from './0019-deferred-audit-chain.js';
import * as outboxClaim from './0020-outbox-claim.js';

/**
 * Every migration, by name; names sort in the order they run. A static list (not a folder
 * scan) so the same code runs under vitest on `.ts` files and compiled to `.js`.
 */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-approvers-channel': approversChannel,
  '0003-conversation-refs': conversationRefs,
  '0004-requests-by-grant': requestsByGrant,
  '0005-api-tokens': apiTokens,
  '0006-provisioning-hooks': provisioningHooks,
  '0007-delivery-request-ids': deliveryRequestIds,
  '0008-leases-and-pacing': leasesAndPacing,
  '0009-one-active-grant': oneActiveGrant,
  '0010-identity': identity,
  '0011-proof': proof,
  '0013-web-console': webConsole,
  '0014-access-reviews': accessReviews,
  '0015-reminders': reminders,
  '0016-scheduled-windows': scheduledWindows,
  '0017-break-glass': breakGlass,
  '0018-on-call': onCall,
  '0019-deferred-audit-chain': deferredAuditChain,
  '0020-outbox-claim': outboxClaim,
};
