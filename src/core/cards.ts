/**
 * Neutral cards: what a message says, not how a platform draws it. Each platform's serializer
 * turns a Card into Block Kit or an Adaptive Card and owns escaping and length limits; text
 * here is plain user text, never pre-escaped.
 */
export type Tone = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'revoked' | 'info' | 'warning';

/** Verbs that platforms register handlers for; the value is the request or grant id. */
export type ActionVerb =
  | 'request.approve'
  | 'request.approveWithComment'
  | 'request.deny'
  | 'request.cancel'
  | 'grant.extend'
  | 'grant.relinquish'
  /** Approvers and admins end a grant early (the break-glass alert card); value: the grant id. */
  | 'grant.revoke'
  /** Review of a break-glass use (src/core/break-glass.ts); value: its grant id. Flag asks for a comment. */
  | 'breakGlass.acknowledge'
  | 'breakGlass.flag'
  /** Access reviews (src/core/reviews.ts): keep or remove one member (value: the review item id), or keep every undecided member of the group (value: `<campaign>:<group id>`). */
  | 'review.keep'
  | 'review.remove'
  | 'review.keepAll'
  /** Opens `url` in the browser (the request's page in the web console); nothing comes back to Elevate. */
  | 'link.open';

export interface CardAction {
  verb: ActionVerb;
  label: string;
  value: string;
  style?: 'primary' | 'danger';
  /** The address a `link.open` action opens (absolute http(s)); absent for every other verb. */
  url?: string;
}

/** A link to a page: shown on every copy of a card, read-only ones included (it changes nothing). */
export function isLink(action: CardAction): boolean {
  return action.verb === 'link.open';
}

export interface CardFact {
  label: string;
  value: string;
}

export interface Card {
  title: string;
  /** One-line summary, used where only a line fits (notifications, feed root). */
  summary: string;
  facts: CardFact[];
  status: { tone: Tone; text: string } | null;
  actions: CardAction[];
}

export function card(parts: Partial<Card> & Pick<Card, 'title'>): Card {
  return { summary: parts.title, facts: [], status: null, actions: [], ...parts };
}
