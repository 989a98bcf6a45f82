import { formatDuration } from './duration.js';
import type { ConfigurationChange, PolicyInput } from './model.js';

function describePolicyFields(fields: Partial<Omit<PolicyInput, 'target'>>): string {
  const parts: string[] = [];
  if (fields.approval) parts.push(`approval ${fields.approval}`);
  if (fields.approverGroup !== undefined) parts.push(`approvers ${fields.approverGroup ?? 'default'}`);
  if (fields.approvalsRequired !== undefined) parts.push(`${fields.approvalsRequired} approval(s)`);
  if (fields.defaultDurationSeconds !== undefined) parts.push(`default ${formatDuration(fields.defaultDurationSeconds)}`);
  if (fields.maxDurationSeconds !== undefined) {
    parts.push(`max ${fields.maxDurationSeconds === null ? 'none' : formatDuration(fields.maxDurationSeconds)}`);
  }
  if (fields.reasonRequired !== undefined) parts.push(`reason ${fields.reasonRequired ? 'required' : 'optional'}`);
  if (fields.reasonPattern !== undefined) parts.push(`reason pattern ${fields.reasonPattern ?? 'none'}`);
  if (fields.eligibleGroup !== undefined) parts.push(`eligible ${fields.eligibleGroup ?? 'everyone'}`);
  if (fields.escalationGroup !== undefined) parts.push(`escalation ${fields.escalationGroup ?? 'none'}`);
  if (fields.approversChannel !== undefined) parts.push(`approvers channel ${fields.approversChannel ?? 'none'}`);
  if (fields.approverDms !== undefined) parts.push(`approver DMs ${fields.approverDms ? 'on' : 'off'}`);
  if (fields.hook !== undefined) parts.push(`hook ${fields.hook ?? 'none'}`);
  if (fields.approvalStepUp !== undefined) parts.push(`step-up approval ${fields.approvalStepUp ? 'on' : 'off'}`);
  if (fields.onCall !== undefined) parts.push(`on call ${fields.onCall.length > 0 ? fields.onCall.join(', ') : 'none'}`);
  if (fields.breakGlassGroup !== undefined) parts.push(`break-glass ${fields.breakGlassGroup ?? 'none'}`);
  if (fields.breakGlassMaxDurationSeconds !== undefined) parts.push(`break-glass max ${fields.breakGlassMaxDurationSeconds === null ? '1h' : formatDuration(fields.breakGlassMaxDurationSeconds)}`);
  if (fields.breakGlassPerDay !== undefined) parts.push(`break-glass ${fields.breakGlassPerDay} per day`);
  return parts.join(', ') || 'no field';
}

/** One line saying exactly what a configuration change will do. */
export function describeChange(change: ConfigurationChange): string {
  switch (change.kind) {
    case 'policy.create': {
      const { target, ...fields } = change.policy;
      return `create ${target.type} policy ${target.name}: ${describePolicyFields(fields)}`;
    }
    case 'policy.update': return `change policy ${change.targetName}: ${describePolicyFields(change.patch)}`;
    case 'policy.remove':
      return `remove policy ${change.targetName}${change.activeGrants === 'end' ? ', ending its active grants' : change.activeGrants === 'keep' ? ', letting its active grants run to their end' : ''}`;
    case 'group.create':
      return `create group ${change.name}${change.directoryRef ? ` linked to ${change.directoryRef}` : ''}`;
    case 'group.addMember': return `add ${change.member} to group ${change.group}`;
    case 'group.removeMember': return `remove ${change.member} from group ${change.group}`;
    case 'pam.disable': return 'disable PAM (no new requests accepted)';
    case 'pam.enable': return 'enable PAM (requests accepted)';
    case 'document.apply':
      return `apply a configuration document (${change.plan.length} change(s)):\n${change.plan.join('\n')}`;
    case 'feed.set': return `send the ${change.platform} audit feed to conversation ${change.conversation}`;
    case 'settings.protectedConfiguration': return `set protected configuration to ${change.mode}`;
    case 'principal.link': return `link ${change.identity} to ${change.principal} (one person)`;
    case 'principal.unlink': return `unlink ${change.identity} from its principal (a person of its own)`;
  }
}
