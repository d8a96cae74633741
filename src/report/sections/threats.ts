// Threats to validity, from what the run recorded.
import { RATIO_COVERAGE } from '../../stats/coverage.ts';
import type { ReportContext } from '../context.ts';
import { formatFixed, formatMiB } from '../format.ts';
import { hapMethod } from '../hap-method.ts';
import { hostKind } from '../host-kind.ts';
import { logKey } from '../inputs.ts';
import type { ThreatsView } from '../view-types.ts';

export function buildThreats(ctx: ReportContext, resources: { cpus?: number; memoryMiB?: number }): ThreatsView {
  const { environment: env, analysis } = ctx.inputs;
  const section = ctx.number.section('threats', 'Threats to validity');
  const paper = ctx.sources.paper;
  const h = env.host;
  const table = ctx.number.table('ratio-coverage', 'Coverage of the nominal 95 % interval of a ratio (the one the charts, tables and verdicts draw) when both platforms have the same distribution, by instances per platform: normal instances, and in brackets skewed ones (one in seven 1.6× slower); a seeded simulation (src/stats/coverage.ts). The marked row applies to this run\'s smallest n.');
  const items: { title: string; text: string }[] = [];
  const kind = hostKind(h.virtualization);
  items.push(kind?.kind === 'container'
    ? {
      title: 'A host inside a container',
      text: `isobench ran inside a container (${h.virtualization}), not on bare metal: every platform shared that container's kernel, cgroups and seccomp profile with the host's other tenants, and a container or VM platform started inside it is nested in a container the paper did not have.`,
    }
    : kind
    ? {
      title: 'A shared, virtualised host',
      text: `The host is itself a virtual machine (${h.virtualization}). Every platform ran inside it: containers share virtual CPUs whose physical cores other tenants may use, and hypervisor platforms ran nested or under software emulation. The cost of a nested hypervisor is not the cost of the paper's bare-metal KVM, and noise from neighbours enters the intervals only as far as it varied during the run.`,
    }
    : { title: 'The host', text: 'No virtualization was detected: the host is taken to be bare metal, like the paper\'s.' });
  const versions = env.platforms.filter((p) => p.requested && p.available && /gvisor|kata/.test(p.id)).map((p) => `${p.id} ${p.version ?? '(version not recorded)'}`).sort();
  items.push({
    title: 'Versions since 2021',
    text: `The paper measured gVisor and Kata Containers as they were in 2020–21; both have changed how they work since. gVisor replaced 9P between the Sentry and the Gofer with LISAFS, then let the Sentry open files itself (directfs), which takes the Gofer off most of the file path the paper blamed for gVisor's I/O loss; and it added the systrap platform, which replaced ptrace as the default. Kata Containers 3.x added a runtime written in Rust (runtime-rs) beside the Go runtime, and 3.x and 4.x use virtio-fs rather than 9p by default. A verdict about these platforms is about the version that ran here${versions.length ? ` (${versions.join('; ')})` : ' (none of them ran)'}, and the architecture notes say which mechanism applies to it.`,
  });
  const res = resources;
  items.push({
    title: 'A smaller host than the paper\'s',
    text: `This host has ${h.cores} cores and ${formatMiB(h.memoryMiB)}${res.cpus ? `, and each instance had ${res.cpus} CPU${res.cpus === 1 ? '' : 's'}${res.memoryMiB ? ` and ${formatMiB(res.memoryMiB)}` : ''}` : ''}; the paper's host was a ${paper.host}, with 16 vCPUs and 32 GiB per guest. Absolute numbers therefore differ and are never compared; the claims are tested on ratios and orderings measured in this run, which assume that the overheads scale with the host.`,
  });
  const emulated = [...new Set(ctx.summaries.filter((s) => ctx.names.emulated(s.platform)).map((s) => s.platform))];
  items.push(emulated.length
    ? { title: 'Software emulation', text: `${emulated.join(', ')} ran under software emulation (no hardware virtualization). Their values measure the emulator; they are labelled “software emulation” in every table and chart, and no claim uses them, not even in place of a KVM platform of the same kind.` }
    : { title: 'Software emulation', text: 'No platform ran under software emulation.' });
  const hap = ctx.summaries.filter((s) => s.workload === 'hap');
  const hapHow = hapMethod(hap.map((s) => ({ key: logKey(s.cell, s.host), params: s.params })), ctx.inputs.sampleNotes);
  items.push(hap.length === 0
    ? { title: 'The HAP', text: 'The HAP was not measured in this run, so the isolation claims are not run here.' }
    : hapHow.sampled
      ? { title: 'A sampled HAP', text: `The HAP is ${hapHow.exact ? 'partly ' : ''}a sampled approximation${hapHow.examples.length ? ` (${hapHow.examples.join('; ')})` : ''}: kernel stacks sampled with perf while the workload ran, not the paper's ftrace function tracer (which a kernel in lockdown refuses). A function that runs briefly can be missed, so counts are lower bounds of the paper's measure, and they depend on the sampling rate and duration. The isolation verdicts are about this approximation.` }
      : { title: 'The HAP', text: hapHow.exact ? "The HAP was traced with ftrace's function tracer, as in the paper." : 'How the HAP values were obtained is not recorded in the samples.' });
  const ns = ctx.summaries.map((s) => s.n);
  const minN = ns.length ? Math.min(...ns) : 0;
  const maxN = ns.length ? Math.max(...ns) : 0;
  const applies = RATIO_COVERAGE.filter((c) => c.instances <= minN).pop();
  items.push({
    title: 'Few instances',
    text: `Each cell had ${minN === maxN ? minN : `${minN} to ${maxN}`} instance${maxN === 1 ? '' : 's'} with a value (the n of the tables; the paper ran at least 10, and 300 for startup). The interval of a ratio (Welch's t on the log ratio, the same in the charts, the tables and the verdicts) widens with small n and keeps its coverage in simulation: ${RATIO_COVERAGE.map((c) => `${formatFixed(c.normal * 100, 1)} % at ${c.instances} instances`).join(', ')} (Table ${table.number}). It assumes that the instances of a cell vary independently; a drift shared by one platform's instances is not in it.${minN > 0 && minN < 2 ? ' A cell with one instance has no interval.' : ''}`,
  });
  const failed = analysis.failures.filter((f) => f.status === 'failed' || f.status === 'timeout');
  if (failed.length) {
    const instances = new Set(failed.map((f) => `${f.cell}/${f.instance}`)).size;
    items.push({ title: 'Failures', text: `${instances} instance${instances === 1 ? '' : 's'} failed or timed out (section “What was not run”). n counts only instances with a value: if failures happen to slow instances more often, the means lean towards the fast ones.` });
  }
  const noise = env.noise;
  items.push({
    title: 'Host noise',
    text: `CPU frequency governor ${noise.governor ?? 'not exposed (typical inside a VM)'}, SMT ${noise.smt ?? 'unknown'}, load average ${noise.loadavg.map((x) => formatFixed(x, 2)).join(', ')} at the start. Instances of all cells ran interleaved in a seeded random order, so slow drift of the host spreads over all platforms alike rather than favouring one.`,
  });
  return {
    section,
    items,
    coverage: {
      table,
      rows: RATIO_COVERAGE.map((c) => ({ instances: String(c.instances), coverage: `${formatFixed(c.normal * 100, 1)} % (${formatFixed(c.skewed * 100, 1)} %)`, applies: c === applies })),
      note: minN > 0 && minN < RATIO_COVERAGE[0].instances ? `This run's smallest n is ${minN}: below the table, where an interval exists it is wider, not narrower.` : '',
    },
  };
}

