import type { WebClient } from '@slack/web-api';
import Bottleneck from 'bottleneck';
import { NotFoundError } from '../../src/core/errors.js';
import type { Directory } from '../../src/core/ports.js';
import type { PlatformProfile } from '../../src/core/use-cases/identify-principal.js';

export interface SlackUser {
  id: string;
  deleted: boolean;
  isBot: boolean;
  /** Elevate's view of the account: standing, verified address, name, home workspace and org. */
  profile: PlatformProfile;
}

// Profiles change rarely; ten minutes keeps names fresh without a users.info call per click.
const USER_TTL_MS = 10 * 60_000;
// usergroups.users.list is Tier 2 (about 20 a minute): cache members, refresh after a minute.
const GROUP_TTL_MS = 60_000;

interface Cached<T> { value: Promise<T>; at: number }

/**
 * Slack users and user groups: the `Directory` port for approver groups linked to a Slack user
 * group, and profiles (name, verified email, deactivated, bot) with a TTL cache.
 */
export class SlackPeople implements Directory {
  private readonly users = new Map<string, Cached<SlackUser>>();
  private readonly groups = new Map<string, Cached<string[]>>();
  // usergroups.users.list is Tier 2 (20+ a minute): one call at a time, at most one every 3 s.
  // users.info (Tier 4, 100+ a minute, bursts tolerated) is not budgeted here: it runs while a
  // person waits for an answer, so a client-side queue would time the answer out; the cache keeps
  // it rare and Slack's own 429 falls back to an unnamed profile.
  private readonly tier2 = new Bottleneck({ maxConcurrent: 1, minTime: 3000 });

  constructor(private readonly client: WebClient, private readonly now: () => number = Date.now) {}

  private cached<T>(cache: Map<string, Cached<T>>, key: string, ttl: number, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && this.now() - hit.at < ttl) return hit.value;
    const value = load();
    cache.set(key, { value, at: this.now() });
    value.catch(() => cache.delete(key));
    return value;
  }

  user(userId: string): Promise<SlackUser> {
    return this.cached(this.users, userId, USER_TTL_MS, async () => {
      const answer = await this.client.users.info({ user: userId });
      const user = answer.user;
      if (!user?.id) throw new NotFoundError(`Slack user ${userId} does not exist`);
      const deleted = user.deleted === true;
      const isBot = user.is_bot === true || user.id === 'USLACKBOT';
      // users.info (https://docs.slack.dev/reference/methods/users.info): is_restricted and
      // is_ultra_restricted mark multi- and single-channel guests; team_id is the user's own
      // workspace (another org's in a shared channel); enterprise_user names their Grid org.
      const guest = user.is_restricted === true || user.is_ultra_restricted === true;
      return {
        id: user.id,
        deleted,
        isBot,
        profile: {
          displayName: user.profile?.display_name || user.real_name || user.profile?.real_name || user.name || null,
          // users:read.email returns only confirmed addresses.
          verifiedEmail: user.profile?.email ?? null,
          standing: deleted ? 'deactivated' : isBot ? 'bot' : guest ? 'guest' : 'active',
          home: { userTeamId: user.team_id ?? null, userEnterpriseId: user.enterprise_user?.enterprise_id ?? null },
        },
      };
    });
  }

  /**
   * What Elevate needs to identify a person: their profile, `unknown` when Slack does not know the
   * account, or null when Slack could not be asked just now (a rate limit, an outage).
   */
  async profileOf(userId: string): Promise<PlatformProfile | null> {
    try {
      return (await this.user(userId)).profile;
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (error instanceof NotFoundError || code === 'user_not_found' || code === 'user_not_visible') {
        return { displayName: null, verifiedEmail: null, standing: 'unknown' };
      }
      return null;
    }
  }

  /** `slack:S0123` → member identities `slack:U…` (deactivated users and bots left out). */
  async resolveGroupMembers(ref: string): Promise<string[]> {
    const groupId = ref.replace(/^slack:/, '');
    const members = await this.cached(this.groups, groupId, GROUP_TTL_MS, async () => {
      try {
        const answer = await this.tier2.schedule(() => this.client.usergroups.users.list({ usergroup: groupId }));
        return answer.users ?? [];
      } catch (error) {
        if ((error as { data?: { error?: string } }).data?.error === 'no_such_subteam') {
          throw new NotFoundError(`Slack user group ${groupId} does not exist`);
        }
        throw error;
      }
    });
    const people = await Promise.all(members.map((id) => this.user(id).catch(() => undefined)));
    return people.filter((u): u is SlackUser => u !== undefined && !u.deleted && !u.isBot).map((u) => `slack:${u.id}`);
  }
}
