import { adminsCheck } from './checks/admins.js';
import { clockCheck } from './checks/clock.js';
import { configurationCheck } from './checks/configuration.js';
import { databaseCheck } from './checks/database.js';
import { hooksCheck } from './checks/hooks.js';
import { keysCheck } from './checks/keys.js';
import { onCallCheck } from './checks/on-call.js';
import { slackCheck } from './checks/slack.js';
import { teamsCheck } from './checks/teams.js';
import type { Check } from './doctor.js';

/**
 * What `elevate doctor` checks, in order: later checks use what earlier ones found (the
 * configuration, the database, peers' clocks). Add a check by writing a `Check` in checks/ and
 * listing it here.
 */
export const CHECKS: readonly Check[] = [configurationCheck, databaseCheck, keysCheck, adminsCheck, slackCheck, teamsCheck, hooksCheck, onCallCheck, clockCheck];
