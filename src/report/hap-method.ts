// How the HAP values of a run were obtained (exact ftrace or sampled perf), from the samples' notes (src/workloads/hap.ts).

/** From the samples' notes of these cells, else their parameters. */
export function hapMethod(cells: { key: string; params: Record<string, unknown> }[], notes: Record<string, string[]>): { exact: boolean; sampled: boolean; examples: string[] } {
  const seen = cells.flatMap((c) => notes[c.key] ?? []);
  // "perf cpu-clock 999 Hz for 2 s, …": the text around the examples names the method already
  const examples = [...new Set(seen.map((n) => n.replace(/;.*$/, '').replace(/^(exact|sampled approximation): /, '')))].slice(0, 2);
  const byNote = { exact: seen.some((n) => n.startsWith('exact')), sampled: seen.some((n) => n.startsWith('sampled')) };
  if (byNote.exact || byNote.sampled) return { ...byNote, examples };
  const methods = cells.map((c) => String(c.params.method ?? ''));
  return { exact: methods.includes('ftrace'), sampled: methods.includes('perf'), examples: [...new Set(methods.filter(Boolean).map((m) => `method: ${m}`))] };
}
