import { InvalidInputError } from '../../src/core/errors.js';

/** The chat grammar shared by Slack's slash command and Teams messages. */
export type ChatCommand =
  | { name: 'help' }
  | { name: 'request'; words: string[] }
  | { name: 'status' }
  | { name: 'home' }
  | { name: 'pending' }
  | { name: 'approve' | 'deny'; id: string; comment: string | null }
  | { name: 'cancel'; id: string }
  | { name: 'revoke'; id: string; comment: string | null }
  | { name: 'done'; id: string }
  | { name: 'extend'; id: string; duration: string; reason: string | null }
  | { name: 'policy'; action: 'list' | 'new' | 'set' | 'remove'; args: string[]; flags: Record<string, string | true> }
  | { name: 'group'; action: 'list' | 'new' | 'add' | 'remove'; args: string[]; flags: Record<string, string | true> }
  | { name: 'report'; period: string | null }
  | { name: 'audit-here' }
  /** `link`: show a code; `link web`: a sign-in link for the web console; `link <code>`: prove the other account is yours. */
  | { name: 'link'; code: string | null; web: boolean };

export const USAGE: Record<string, string> = {
  request: 'request <target> [duration] [reason…]   e.g. request Exchange\\Search-Mailbox 2h INC-42 mailbox search (quote targets with spaces; no target opens the form)',
  status: 'status   your pending requests and active access',
  home: 'home   what waits for your decision, your pending requests and your active access',
  pending: 'pending   requests you can decide',
  approve: 'approve <request id> [comment…]',
  deny: 'deny <request id> [comment…]',
  cancel: 'cancel <request id>',
  revoke: 'revoke <grant id> [comment…]',
  done: "done <grant id>   give access back early (\"I'm done\")",
  extend: 'extend <grant id> <duration> [reason…]   more time after the current end, e.g. extend G-7K3Q9ABC 1h still on INC-42',
  policy: 'policy list | policy new <task|role|roleGroup> <Scope\\Name> --approval manual|auto [--approver-group G] [--approvals N] [--default 4h] [--max 8h] [--reason-optional] [--reason-pattern RE] [--reason-hint "…"] [--eligible G] [--escalation G] [--channel #approvers] [--no-dms] | policy set <Scope\\Name> [same flags] | policy remove <Scope\\Name> [--end-grants|--keep-grants]',
  group: 'group list | group new <name> [--directory slack:S…|teams:…] | group add <group> <principal> | group remove <group> <principal>',
  report: 'report [period]   usage per policy, e.g. report 7d (admins and auditors)',
  link: 'link | link <code> | link web   link your Slack and Teams accounts (link shows a code to type on your other platform)',
  help: 'help',
};

/** Splits on spaces, keeping "quoted text" (straight or curly quotes) together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|“([^”]*)”|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4]!);
  return tokens;
}

function usageError(name: string, problem: string): InvalidInputError {
  return new InvalidInputError(`${problem}. Usage: ${USAGE[name]}`, { usage: USAGE[name] });
}

function rest(tokens: string[], from: number): string | null {
  return tokens.slice(from).join(' ').trim() || null;
}

function flags(tokens: string[]): { args: string[]; flags: Record<string, string | true> } {
  const args: string[] = [];
  const found: Record<string, string | true> = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('--')) {
      args.push(token);
      continue;
    }
    const [name, inline] = token.slice(2).split('=', 2) as [string, string | undefined];
    const next = tokens[i + 1];
    if (inline !== undefined) found[name] = inline;
    else if (next !== undefined && !next.startsWith('--')) {
      found[name] = next;
      i += 1;
    } else found[name] = true;
  }
  return { args, flags: found };
}

/** Parses what followed `/elevate` (or the bot mention). Bad input: InvalidInputError with the usage. */
export function parseChatCommand(text: string): ChatCommand {
  const tokens = tokenize(text.trim());
  const [first, ...others] = tokens;
  const name = (first ?? 'request').toLowerCase();
  const id = (kind: string) => {
    const value = others[0];
    if (!value) throw usageError(name, `name the ${kind}`);
    return value.toUpperCase();
  };
  switch (name) {
    case 'help': case '?': return { name: 'help' };
    case 'request': return { name: 'request', words: others };
    case 'status': case 'mine': return { name: 'status' };
    case 'home': return { name: 'home' };
    case 'pending': return { name: 'pending' };
    case 'approve': case 'deny': return { name, id: id('request id'), comment: rest(others, 1) };
    case 'cancel': return { name: 'cancel', id: id('request id') };
    case 'revoke': return { name: 'revoke', id: id('grant id'), comment: rest(others, 1) };
    case 'done': case 'relinquish': return { name: 'done', id: id('grant id') };
    case 'extend': {
      const grant = id('grant id');
      if (!others[1]) throw usageError('extend', 'name how long, e.g. 1h');
      return { name: 'extend', id: grant, duration: others[1], reason: rest(others, 2) };
    }
    case 'policy': case 'policies': {
      const action = (others[0] ?? 'list').toLowerCase();
      if (!['list', 'new', 'set', 'remove'].includes(action)) throw usageError('policy', `unknown policy action "${others[0]}"`);
      return { name: 'policy', action: action as 'list', ...flags(others.slice(1)) };
    }
    case 'group': case 'groups': {
      const action = (others[0] ?? 'list').toLowerCase();
      if (!['list', 'new', 'add', 'remove'].includes(action)) throw usageError('group', `unknown group action "${others[0]}"`);
      return { name: 'group', action: action as 'list', ...flags(others.slice(1)) };
    }
    case 'report': return { name: 'report', period: others[0] ?? null };
    case 'audit-here': return { name: 'audit-here' };
    case 'link': {
      const word = others[0];
      if (others.length > 1) throw usageError('link', 'write the code in one piece, e.g. link ABCD-EFGH');
      return word?.toLowerCase() === 'web' ? { name: 'link', code: null, web: true } : { name: 'link', code: word ?? null, web: false };
    }
    default:
      throw new InvalidInputError(`unknown command "${first}". Commands: ${Object.keys(USAGE).join(', ')}; try help`, { usage: 'help' });
  }
}

/** "request" words → target (longest prefix naming a known target), optional duration, reason. */
export function splitRequestWords(words: string[], knownTargets: string[]): { target: string; duration: string | null; reason: string | null } {
  if (words.length === 0) throw usageError('request', 'name a target');
  const known = new Set(knownTargets.map((t) => t.toLowerCase()));
  let take = 1;
  for (let n = words.length; n > 1; n--) {
    if (known.has(words.slice(0, n).join(' ').toLowerCase())) {
      take = n;
      break;
    }
  }
  const target = words.slice(0, take).join(' ');
  const next = words[take];
  const isDuration = next !== undefined && /^(\d+[smhdw])+$/i.test(next);
  return { target, duration: isDuration ? next! : null, reason: rest(words, take + (isDuration ? 1 : 0)) };
}
