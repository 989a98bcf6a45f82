import { z } from 'zod';
import { REFUSAL_CODES, type AccessCase } from '../core/access-tests.js';
import { YamlSource } from './source.js';

/**
 * The access test file (`elevate policy test -f access-tests.yaml`):
 *
 *   cases:
 *     - name: helpdesk searches with an incident      # optional
 *       person: slack:UURSULA                          # and/or memberOf: [helpdesk]
 *       target: Exchange\Search-Mailbox
 *       duration: 2h                                   # optional: the policy's default
 *       reason: INC-42                                 # optional; ticket: too
 *       breakGlass: true                               # optional: asks with break-glass
 *       expect: approval                               # auto | approval | refused | break-glass
 *       group: approvers                               # approval: which group,
 *       count: 2                                       #   how many approvals
 *       code: not_eligible                             # refused: the reason code
 */
const MAX_CASES = 20_000;

const caseSchema = z.strictObject({
  name: z.string().max(200).optional(),
  person: z.string().min(3).max(320).optional().meta({ description: 'the requester: slack:U…, teams:…, a verified address or a principal id' }),
  memberOf: z.array(z.string().min(1).max(100)).max(50).optional().meta({ description: 'groups the requester is a member of for this case' }),
  target: z.string().min(3).max(200),
  duration: z.string().max(40).optional(),
  reason: z.string().max(1000).optional(),
  ticket: z.string().max(100).optional(),
  breakGlass: z.boolean().optional().meta({ description: 'the case asks with break-glass (request … --break-glass)' }),
  expect: z.enum(['auto', 'approval', 'refused', 'break-glass']),
  group: z.string().min(1).max(100).optional().meta({ description: 'approval: the approver group' }),
  count: z.number().int().min(1).max(50).optional().meta({ description: 'approval: approvals required' }),
  code: z.enum(REFUSAL_CODES).optional().meta({ description: 'refused: why' }),
})
  .refine((c) => c.person !== undefined || c.memberOf !== undefined, { message: 'name the requester: person, memberOf, or both' })
  .refine((c) => c.expect !== 'approval' || (c.group !== undefined && c.count !== undefined), { message: 'an expected approval names its group and count' })
  .refine((c) => c.expect !== 'refused' || c.code !== undefined, { message: `an expected refusal names its code (${REFUSAL_CODES.join(', ')})` });

export const accessTestsSchema = z.strictObject({ cases: z.array(caseSchema).max(MAX_CASES) });

/** Reads an access test file; InvalidInputError naming the line and field of each problem. */
export function readAccessTests(text: string, name = 'access tests'): { cases: AccessCase[]; source: YamlSource } {
  const source = YamlSource.parse(text, name);
  const written = source.check(accessTestsSchema);
  const cases = written.cases.map(({ expect, group, count, code, ...rest }): AccessCase => ({
    ...rest,
    expect: expect === 'approval' ? { outcome: 'approval', group: group!, count: count! }
      : expect === 'refused' ? { outcome: 'refused', code: code! } : expect === 'break-glass' ? { outcome: 'break-glass' } : { outcome: 'auto' },
  }));
  return { cases, source };
}
