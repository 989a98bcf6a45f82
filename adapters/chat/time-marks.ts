import { TIME_MARK, plainTimes } from '../../src/core/time-text.js';

// Stands for one time mark while text is escaped and cut: a private-use character, one code
// unit and a grapheme of its own, so no cut splits it; the same character in user text is removed.
const PLACEHOLDER = '\uE000';
const PLACEHOLDERS = /\uE000/g;
// Below this many code units left for the words, the text is drawn with plain times instead.
const MIN_WORDS = 16;

/**
 * Fits text holding time marks (src/core/time-text.ts) into `max` code units with the platform's
 * `fit` (escape + cut), then draws each mark that survived the cut with `render` (the platform's
 * local-time token). Text without marks is just `fit(text, max)`; the result never exceeds `max`.
 */
export function fitWithTimes(text: string, max: number, fit: (text: string, max: number) => string, render: (instant: string) => string): string {
  const instants: string[] = [];
  const marked = text.replace(PLACEHOLDERS, '').replace(TIME_MARK, (_, instant: string) => {
    instants.push(instant);
    return PLACEHOLDER;
  });
  if (instants.length === 0) return fit(text, max);
  const tokens = instants.map(render);
  const extra = tokens.reduce((sum, token) => sum + token.length - 1, 0);
  if (max - extra < MIN_WORDS) return fit(plainTimes(text), max);
  let next = 0;
  return fit(marked, max - extra).replace(PLACEHOLDERS, () => tokens[next++] ?? '');
}
