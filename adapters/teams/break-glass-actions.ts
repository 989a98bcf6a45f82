import type { AdaptiveCardActionCardResponse } from '@microsoft/teams.api';
import { breakGlassCardKeys } from '../../src/core/break-glass.js';
import { formatDuration } from '../../src/core/duration.js';
import type { Elevate } from '../../src/core/elevate.js';
import type { Actor } from '../../src/core/ports.js';
import { breakGlassWarningCard, cardInvokeResponse, textCard } from './adaptive-cards.js';
import type { ActionSubmission } from './card-submissions.js';

/** The verbs of break-glass: the warning's confirmation, and the alert card's buttons. */
export const BREAK_GLASS_VERBS = ['breakGlass.confirm', 'grant.revoke', 'breakGlass.acknowledge', 'breakGlass.flag'] as const;

type Answer = AdaptiveCardActionCardResponse | { statusCode: 200; type: 'application/vnd.microsoft.activity.message'; value: string };

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * The form's "Break glass" choice: the first click shows the warning (who will be alerted, how
 * long at most; refusals throw and land on the form); nothing is granted until its button.
 */
export async function breakGlassWarning(elevate: Elevate, actor: Actor, ask: { target: string; duration: string | null; reason: string | null; ticket: string | null }) {
  const preview = await elevate.previewBreakGlass(actor, ask.target);
  const words = `You get ${preview.target} at once, for at most ${formatDuration(preview.maxSeconds)}, without approval. `
    + `This alerts ${preview.alerted} now, and the approvers review it afterwards. Uses left today: ${preview.usesLeft} of ${preview.perDay}.`;
  return cardInvokeResponse(breakGlassWarningCard(words, ask));
}

/**
 * A click on a break-glass verb: the warning's button breaks the glass; Revoke, Acknowledge and
 * Flag (with its comment) act on the use, and the clicked card becomes the alert card as it stands now.
 */
export async function breakGlassAction(
  elevate: Elevate, actor: Actor, verb: string, data: Record<string, unknown>, submitted: ActionSubmission,
  latestCard: (key: string, note?: string) => Promise<AdaptiveCardActionCardResponse | null>,
): Promise<Answer> {
  if (verb === 'breakGlass.confirm') {
    const used = await elevate.breakGlass(actor, {
      target: text(data.target) ?? '', duration: text(data.duration), reason: text(data.reason), ticket: text(data.ticket), confirmed: true,
    });
    return cardInvokeResponse(textCard(`Break-glass: you have ${used.grant.target.name} until ${used.grant.endsAt} (grant ${used.grant.id}). Alerted ${used.alerted}; the approvers review it.`));
  }
  const grantId = submitted.value;
  if (verb === 'grant.revoke') await elevate.revokeGrant(actor, { grantId, comment: submitted.comment });
  else await elevate.reviewBreakGlass(actor, { grantId, verdict: verb === 'breakGlass.flag' ? 'flag' : 'acknowledge', comment: submitted.comment });
  return (await latestCard(breakGlassCardKeys(grantId.trim().toUpperCase()).alert))
    ?? { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Done.' };
}
