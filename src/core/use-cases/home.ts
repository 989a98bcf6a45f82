import { card, type Card } from '../cards.js';
import type { EngineContext } from '../context.js';
import type { Grant } from '../model.js';
import type { Origin } from '../model.js';
import type { Actor } from '../ports.js';
import { platformOf } from '../principals.js';
import { at } from '../time-text.js';
import { listGrants, listRequestCards } from './queries.js';

// A home shows what needs attention, not history: a few dozen items at most (Slack's Home tab
// holds 100 blocks; each card takes a handful).
const MAX_ITEMS = 10;

/** A person's home: what waits for their decision, their pending requests and their active access. */
export interface Home {
  /** Approver cards (Approve / Deny) of requests this person may decide now. */
  approvals: Card[];
  /** Their own pending requests (Cancel). */
  requests: Card[];
  /** Their active grants (Extend, I'm done). */
  grants: Card[];
  /** How many of each there are in all (each list holds at most MAX_ITEMS). */
  counts: { approvals: number; requests: number; grants: number };
}

/** An active grant as a card, with Extend and I'm done. */
export function grantCard(grant: Grant): Card {
  return card({
    title: `${grant.target.name} until ${at(grant.endsAt)}`, summary: `Active grant ${grant.id}`,
    facts: [{ label: 'Grant', value: grant.id }, { label: 'Since', value: at(grant.startsAt) }, { label: 'Until', value: at(grant.endsAt) }],
    status: { tone: 'approved', text: `Active until ${at(grant.endsAt)}` },
    actions: [{ verb: 'grant.extend', label: 'Extend', value: grant.id }, { verb: 'grant.relinquish', label: "I'm done", value: grant.id }],
  });
}

/** The home of `actor` (a principal; anyone else has an empty home). Only what they may see. */
export async function homeOf(ctx: EngineContext, actor: Actor): Promise<Home> {
  if (actor.kind !== 'principal') return { approvals: [], requests: [], grants: [], counts: { approvals: 0, requests: 0, grants: 0 } };
  const approvals = await listRequestCards(ctx, actor, { decidable: true, status: 'pending' });
  const requests = await listRequestCards(ctx, actor, { mine: true, status: 'pending' });
  const grants = await listGrants(ctx, actor, { mine: true, status: 'active' });
  return {
    approvals: approvals.slice(0, MAX_ITEMS).map((r) => r.card),
    requests: requests.slice(0, MAX_ITEMS).map((r) => r.card),
    grants: grants.slice(0, MAX_ITEMS).map(grantCard),
    counts: { approvals: approvals.length, requests: requests.length, grants: grants.length },
  };
}

/**
 * The home of the person whose account `identity` is, as it stands now (the outbox publishing
 * it); undefined when the account belongs to no one any more.
 */
export async function homeOfAccount(ctx: EngineContext, identity: string): Promise<Home | undefined> {
  const principal = await ctx.store.read((tx) => tx.findPrincipalByIdentity(identity));
  if (!principal) return undefined;
  return homeOf(ctx, { kind: 'principal', principalId: principal.id, origin: platformOf(identity) as Origin, identity });
}

/**
 * The home as one card (Teams' personal chat): each section's items as facts, a line each, the
 * counts in the summary. The items' own cards (with their buttons) are sent beside it.
 */
export function homeCard(home: Home): Card {
  const line = (c: Card) => (c.summary && c.summary !== c.title ? `${c.title}: ${c.summary}` : c.title);
  const section = (label: string, cards: Card[], total: number, none: string) => ({
    label: `${label} (${total})`,
    value: total === 0 ? none : cards.map(line).join(' · ') + (total > cards.length ? ` · … ${total - cards.length} more` : ''),
  });
  return card({
    title: 'Elevate: your access',
    summary: `${home.counts.approvals} waiting for your decision, ${home.counts.requests} pending request(s), ${home.counts.grants} active grant(s)`,
    facts: [
      section('Waiting for your decision', home.approvals, home.counts.approvals, 'nothing'),
      section('Your pending requests', home.requests, home.counts.requests, 'none'),
      section('Your active access', home.grants, home.counts.grants, 'none'),
    ],
    status: { tone: home.counts.approvals > 0 ? 'pending' : 'info', text: home.counts.approvals > 0 ? `${home.counts.approvals} request(s) wait for your decision` : 'Nothing waits for you' },
  });
}
