/**
 * The Slack workspace (or Enterprise Grid org) and the Teams tenants Elevate serves. An account
 * from anywhere else is a stranger: it gets no principal and can do nothing (DESIGN rule 9).
 * Adapters learn the pinned ids at start (Slack's auth.test, the configured tenants) and report,
 * for every request, the ids it came with; the rules below decide.
 */

/** Slack, as the bot token's `auth.test` describes it. */
export interface SlackInstallation {
  platform: 'slack';
  /** The app whose signing secret and token Elevate holds (`api_app_id` of every request). */
  appId: string;
  /** The workspace the bot token belongs to (`T…`); for an org-wide install, the org's id. */
  teamId: string;
  /** The Enterprise Grid org (`E…`), when the workspace belongs to one. */
  enterpriseId: string | null;
  /** Installed org-wide on Enterprise Grid: every workspace of `enterpriseId` is served. */
  orgWide: boolean;
}

/** Microsoft Teams: the Entra tenants listed in TEAMS_TENANT_ID. */
export interface TeamsInstallation {
  platform: 'teams';
  /** Lower-case GUIDs. */
  tenantIds: string[];
}

export type Installation = SlackInstallation | TeamsInstallation;

/** The ids a Slack request or its user came with; absent ids are not checked. */
export interface SlackOrigin {
  platform: 'slack';
  appId?: string | null;
  /** The workspace of the request (`team_id`, `team.id`). */
  teamId?: string | null;
  enterpriseId?: string | null;
  /** The user's own workspace (`user.team_id`; `users.info` → `team_id`): differs in shared channels. */
  userTeamId?: string | null;
  /** The user's org (`users.info` → `enterprise_user.enterprise_id`). */
  userEnterpriseId?: string | null;
}

/** The tenant a Teams activity or member came with. */
export interface TeamsOrigin {
  platform: 'teams';
  tenantIds: Array<string | null | undefined>;
}

export type PlatformOrigin = SlackOrigin | TeamsOrigin;

/** Why an origin is not the pinned installation, in words for the audit; null when it is. */
export function strangerReason(pinned: Installation | undefined, origin: PlatformOrigin): string | null {
  if (!pinned || pinned.platform !== origin.platform) return `${origin.platform} is not connected to this Elevate`;
  if (pinned.platform === 'teams') {
    const o = origin as TeamsOrigin;
    const claimed = o.tenantIds.filter((t): t is string => typeof t === 'string' && t !== '').map((t) => t.toLowerCase());
    if (claimed.length === 0) return 'the activity names no tenant';
    const foreign = claimed.find((t) => !pinned.tenantIds.includes(t));
    return foreign ? `tenant ${foreign} is not one of the configured tenants` : null;
  }
  const o = origin as SlackOrigin;
  if (o.appId && o.appId !== pinned.appId) return `app ${o.appId} is not Elevate's app ${pinned.appId}`;
  if (pinned.orgWide) {
    for (const enterprise of [o.enterpriseId, o.userEnterpriseId]) {
      if (enterprise && enterprise !== pinned.enterpriseId) return `org ${enterprise} is not the connected org ${pinned.enterpriseId}`;
    }
    if (!o.enterpriseId && !o.userEnterpriseId) return 'the request names no Enterprise Grid org';
    return null;
  }
  for (const team of [o.teamId, o.userTeamId]) {
    if (team && team !== pinned.teamId) return `workspace ${team} is not the connected workspace ${pinned.teamId}`;
  }
  if (!o.teamId && !o.userTeamId) return 'the request names no workspace';
  if (o.enterpriseId && pinned.enterpriseId && o.enterpriseId !== pinned.enterpriseId) {
    return `org ${o.enterpriseId} is not the connected org ${pinned.enterpriseId}`;
  }
  return null;
}

/** How the acting account is written in audit records: `slack:U1@T0ACME`, `teams:<aad>@<tenant>`. */
export function qualifiedIdentity(identity: string, origin: PlatformOrigin): string {
  const where = origin.platform === 'slack'
    ? origin.userTeamId ?? origin.teamId ?? origin.enterpriseId
    : origin.tenantIds.find((t): t is string => typeof t === 'string' && t !== '')?.toLowerCase();
  return where ? `${identity}@${where}` : identity;
}
