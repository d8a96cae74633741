// The one way a test skips: the reason is recorded, so the suite's closing line counts it instead of a pass.

export interface SkipRecord {
  reason: string;
  /** the test ran, without this part (it still counts as passed) */
  partial?: boolean;
  /** platform and tool ids whose absence caused the skip (ISOBENCH_REQUIRE turns a skip for one of them into a failure) */
  needs: string[];
}

const records: SkipRecord[] = [];

/** Records a skip with its reason (what is missing and how to get it) and what was missing; the caller returns right after. */
export function skip(reason: string, needs: string[] = []): void {
  records.push({ reason, needs });
  console.log(`skip: ${reason}`);
}

/** Records that a test leaves out a part (it runs native only without runc): listed with the skips, counted as the pass it is. */
export function skipPart(reason: string, needs: string[] = []): void {
  records.push({ reason, needs, partial: true });
  console.log(`skip (partly): ${reason}`);
}

/** the skips recorded so far in this process, in order */
export function skipped(): readonly SkipRecord[] {
  return records;
}

/** the reasons recorded so far in this process, in order */
export function skipReasons(): readonly string[] {
  return records.map((r) => r.reason);
}
