// Waiting in a test for something another process does: poll until it holds, fail naming what did not happen.

/** the value `check` gives once it is truthy; throws after timeoutMs naming `what` (and `detail()`, read then) */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: { timeoutMs?: number; detail?: () => string } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) {
      const detail = opts.detail?.() ?? '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${detail ? `: ${detail}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
