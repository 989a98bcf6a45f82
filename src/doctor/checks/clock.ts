import { fail, ok, skip, warn, type Check, type CheckResult } from '../doctor.js';

// Slack refuses requests whose signature timestamp is more than 5 minutes off (Bolt's check).
const SLACK_TOLERANCE_MS = 5 * 60_000;
// The check index re-reads grants with a 5-second overlap: instances must agree within that.
const INSTANCE_TOLERANCE_MS = 5_000;
// HTTP Date headers have whole seconds, and the round trip adds a little.
const HEADER_RESOLUTION_MS = 2_000;

/**
 * The system clock: not behind the newest audit record (a clock that went backwards), and close
 * to the clocks seen by the other checks (Slack's and Microsoft's Date headers, PostgreSQL's now()).
 */
export const clockCheck: Check = {
  name: 'clock',
  async run(ctx) {
    const results: CheckResult[] = [];
    const now = ctx.now();
    if (ctx.store) {
      const head = await ctx.store.getAuditHead();
      const newest = head && head.seq > 0 ? (await ctx.store.listAudit({ afterSeq: head.seq - 1, limit: 1 }))[0] : undefined;
      if (newest && Date.parse(newest.at) - now > INSTANCE_TOLERANCE_MS) {
        results.push(fail('clock', `it is behind the newest audit record (${newest.at}) by ${Math.round((Date.parse(newest.at) - now) / 1000)} s: it went backwards, or another instance's clock is ahead`,
          'synchronise the clocks of every Elevate host with NTP (timedatectl set-ntp true)'));
      }
    }
    for (const [peer, offset] of ctx.peerClocks) {
      const tolerance = peer === 'PostgreSQL' ? INSTANCE_TOLERANCE_MS : SLACK_TOLERANCE_MS;
      if (Math.abs(offset) <= tolerance + HEADER_RESOLUTION_MS) continue;
      const said = `${Math.round(Math.abs(offset) / 1000)} s ${offset > 0 ? 'behind' : 'ahead of'} ${peer}'s`;
      results.push(peer === 'PostgreSQL'
        ? warn('clock', `${said}: instances judge grant ends and the check index by their own clocks`, 'synchronise this host\'s clock with NTP (timedatectl set-ntp true)')
        : fail('clock', `${said}: ${peer} refuses requests signed more than 5 minutes off`, 'synchronise this host\'s clock with NTP (timedatectl set-ntp true)'));
    }
    if (results.length > 0) return results;
    const compared = [...ctx.peerClocks.keys()];
    if (!ctx.store && compared.length === 0) return [skip('clock', 'nothing to compare it with (no database, no platform reached)')];
    return [ok('clock', `${new Date(now).toISOString()}, consistent with ${[...(ctx.store ? ['the audit log'] : []), ...compared].join(', ')}`)];
  },
};
