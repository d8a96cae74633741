// The one way a test skips: the reason is recorded, so the suite's closing line counts it instead of a pass.
const reasons: string[] = [];

/** Records a skip with its reason (what is missing and how to get it); the caller returns right after. */
export function skip(reason: string): void {
  reasons.push(reason);
  console.log(`skip: ${reason}`);
}

/** the reasons recorded so far in this process, in order */
export function skipReasons(): readonly string[] {
  return reasons;
}
