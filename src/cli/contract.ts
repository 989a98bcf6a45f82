import type { Command } from 'commander';
import { terminalSafe } from './output.js';

/**
 * The CLI's promise to scripts: 0 done, 1 a negative answer ("not allowed", "audit log broken",
 * "a check failed"), 2 an error (bad usage, bad input, bad configuration, refused).
 */
export const EXIT = { done: 0, no: 1, error: 2 } as const;

/** `elevate authorization check [options] <principal> <target>`: the full usage line of a command. */
export function usageLine(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return `${names.join(' ')} ${command.usage()}`.trim();
}

/** Adds an "Example" section to a command's --help. */
export function example(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((line) => `  $ ${line}`).join('\n')}`);
}

/**
 * Applies the contract to a command and all its subcommands: a usage error prints one line
 * (what is wrong, and the command's usage) on stderr and becomes a thrown CommanderError that
 * main turns into exit 2; help and --version still exit 0.
 */
export function applyContract(command: Command, output?: { writeOut(text: string): void; writeErr(text: string): void }): void {
  command.exitOverride();
  command.showHelpAfterError(false);
  command.configureOutput({
    ...(output ? { writeOut: output.writeOut, writeErr: output.writeErr } : {}),
    outputError: (message, write) => {
      const what = terminalSafe(message.trim().replace(/^error: /, '').replace(/\.$/, ''));
      write(`error: ${what}; usage: ${usageLine(command)}\n`);
    },
  });
  for (const sub of command.commands) applyContract(sub, output);
}
