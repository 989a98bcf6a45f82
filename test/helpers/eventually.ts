/**
 * Polls `check` every 20 ms until it holds, for at most `boundMs`; true if it did. The bound is
 * generous (the machine is shared): it stops a broken run, it is not a timing assertion.
 */
export async function eventually(check: () => boolean | Promise<boolean>, boundMs = 20_000): Promise<boolean> {
  const until = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
