// The report's view: plain, ordered, pre-formatted data that the templates and the charts show. Types only.
import type { CalloutView, EvidenceRecord } from './callouts.ts';
import type { ClaimCard, ClaimLine, VerdictCount } from './claims-view.ts';

export interface KeyValue { key: string; value: string }

export interface TableRef { number: number; id: string; caption: string }

export interface SectionRef { number: string; id: string; title: string }

/** One platform's mark in a dot chart: the point, its interval and the instance means behind it. */
export interface ChartPoint {
  platform: string;
  label: string; // axis label (platform, marked when emulated)
  emulated: boolean;
  value: number;
  low: number | null;
  high: number | null;
  n: number;
  instanceMeans: number[];
  valueText: string; // direct label next to the mark
  hover: string; // the SVG <title> of the mark
}

/** One panel of a dot chart; panels of one figure that compare the same quantity share their scale. */
export interface DotPanel {
  title: string | null;
  axisTitle: string;
  reference: { value: number; label: string } | null;
  /** the range the claim needs, shaded */
  band: { low: number | null; high: number | null; label: string } | null;
  /** the paper's value, marked (never compared) */
  paper: { value: number; label: string } | null;
  /** software emulation: its own panel on its own scale */
  emulated: boolean;
  log: boolean;
  points: ChartPoint[];
}

/** A summary that a chart draws: for the appendix and the figure's samples file. */
export interface ChartSource { platform: string; host?: string; label: string; cell: string; workload: string; job: string; metric: string; unit: string; instances: number[]; values: number[] }

interface ChartCommon {
  name: string; // file stem under charts/
  number: number; // figure number
  id: string; // HTML anchor
  caption: string;
  alt: string; // the values in words, for readers who cannot see the chart
  sources: ChartSource[];
}

/** value: means; ratio: ratio to native; claim: a claim's ratios against its band; difference: an added time with its interval */
export interface DotChartView extends ChartCommon { kind: 'value' | 'ratio' | 'claim' | 'difference'; panels: DotPanel[] }

export interface StripRow { platform: string; label: string; emulated: boolean; values: number[]; instances: number[]; mean: number; n: number }
/** one metric's platforms, hardware-assisted or emulated; `axisTitle` names the metric, its unit and which way is better */
export interface StripPanel { title: string | null; emulated: boolean; metric: string; axisTitle: string; log: boolean; rows: StripRow[] }
/**
 * Every instance's value per platform, with a box plot: where the spread is the finding (startup). One figure per workload:
 * with `columns` 2 its two metrics stand side by side (the same platforms in each, labelled once), hardware above emulation.
 */
export interface StripChartView extends ChartCommon { kind: 'strip'; columns: 1 | 2; panels: StripPanel[] }

export interface PercentileMark { percentile: string; value: number; low: number | null; high: number | null }
export interface PercentileRow { platform: string; label: string; emulated: boolean; marks: PercentileMark[] }
export interface PercentilePanel { title: string | null; emulated: boolean; rows: PercentileRow[] }
/** P50, P90 and P99 per platform on one line: the latency distribution's shape */
export interface PercentileChartView extends ChartCommon { kind: 'percentiles'; axisTitle: string; log: boolean; percentiles: string[]; panels: PercentilePanel[] }

export interface SweepPoint { at: number; value: number; low: number | null; high: number | null; n: number; hover: string }
export interface SweepLine { platform: string; label: string; emulated: boolean; points: SweepPoint[]; peak: number | null }
export interface SweepPanel { title: string | null; emulated: boolean; lines: SweepLine[] }
/** a metric against a swept parameter, one line per platform, each point with its 95 % interval, each platform's peak ringed */
export interface SweepChartView extends ChartCommon {
  kind: 'sweep'; xTitle: string; yTitle: string; panels: SweepPanel[];
  /** the y axis starts at 0 (every interval is above it); otherwise it reaches below 0, and the caption says so */
  yFromZero: boolean;
}

export type ChartView = DotChartView | StripChartView | PercentileChartView | SweepChartView;

export interface ResultRow {
  platform: string;
  label: string;
  measured: boolean;
  note: string; // why there is no value, or ''
  n: string;
  iterations: string;
  failed: string;
  mean: string;
  median: string;
  sd: string;
  ci: string;
  ratio: string;
  ratioCi: string;
}

/** One metric's numbers: n, mean, interval and ratio to native per platform (every planned platform; the appendix prints the measured rows). */
export interface MetricTable {
  id: string;
  title: string;
  metric: string;
  unit: string;
  better: string; // 'higher is better'
  table: TableRef;
  rows: ResultRow[];
  /** in the HTML and summary.csv only, not in the printed body */
  screenOnly: boolean;
  /** a 0/1 flag: the table says how many instances had it, no statistics */
  flag: boolean;
}

/** One cell of a workload's headline table: mean with its 95 % CI, ratio to native with its interval. */
export interface CompactCell { measured: boolean; mean: string; ci: string; ratio: string; ratioCi: string }
export interface CompactRow { platform: string; label: string; job: string; n: string; cells: CompactCell[] }
export interface CompactColumn { metric: string; title: string; unit: string; better: string }

/** A workload's headline metrics (those its figures draw) in one table: a row per platform that gave a value (and job). */
export interface CompactTable {
  id: string;
  workload: string;
  table: TableRef;
  /** more than one job: rows name their job */
  jobs: boolean;
  columns: CompactColumn[];
  rows: CompactRow[];
  /** few columns: the ratio follows the mean on its line */
  inline: boolean;
  /** one line: the planned platforms without a row, and why (not run, failed) */
  absent: string;
}

/** The appendix's copy of one metric of one workload: every job with a value, the measured rows only. */
export interface AppendixTable {
  id: string;
  title: string;
  metric: string;
  flag: boolean;
  table: TableRef;
  screenOnly: boolean;
  /** more than one job: rows name their job */
  jobs: boolean;
  rows: (ResultRow & { job: string })[];
  /** one line: the planned platforms without a row, and why */
  absent: string;
}

export interface MetricAppendixView { section: SectionRef; intro: string; tables: AppendixTable[]; /** the body's small print, printed here */ finePrint: { title: string; items: string[] }[] }
export interface ClaimsAppendixView { section: SectionRef; intro: string; cards: ClaimCard[] }

/** A chart and the architecture callouts that explain it, kept together on the page. */
export interface FigureBlock { chart: ChartView; callouts: CalloutView[] }

/** One workload (and job) inside an area: its figures and notes; its per-metric tables (numbered and printed by the metric appendix). */
export interface WorkloadBlock {
  id: string;
  title: string;
  workload: string;
  job: string;
  params: string;
  figures: FigureBlock[];
  tables: MetricTable[];
  notes: string[];
  /** a block without figures shows its heading (not the later jobs of a workload whose first block names them all) */
  lead: boolean;
  /** on paper the workload's ratio figure is left to the HTML: its notes stand under the block */
  ratiosLeftOut: boolean;
  /** architecture notes of a block that draws no figure (its ratios are in the claims' figure) */
  callouts: CalloutView[];
  /** per-platform detail set small (what each start-up clock measures) */
  finePrint: { title: string; items: string[] }[];
  /** the workload's headline table, in its last block */
  compact: CompactTable | null;
}

export interface AreaView {
  id: string;
  section: SectionRef;
  title: string;
  what: string;
  /** which of the area's workloads ran */
  status: string;
  blocks: WorkloadBlock[];
  /** the claims' ratios against their bands */
  claimFigures: FigureBlock[];
  /** per swept workload: its metric against the swept parameter, all jobs in one figure */
  sweepFigures: FigureBlock[];
  claims: ClaimCard[];
}

export interface PlatformRow {
  id: string;
  label: string;
  family: string;
  version: string;
  emulated: string;
  network: string;
  configuration: KeyValue[];
  ran: boolean;
  status: string;
  detail: string; // description, or the reason it was not run
}

/** args: each argument shell-quoted for reading, so the template can keep an argument on one line */
export interface CommandRow { platform: string; args: string[] }
export interface CommandGroup { title: string; params: string; rows: CommandRow[] }
/** one row of "what was not run": an area, a platform, a workload or a claim, and why */
export interface NotRunRow { what: string; kind: string; anchor: string; reason: string }
/** failures that share platform, status and error: the workloads and instances they hit */
export interface FailureRow { platform: string; workloads: string; instances: string; status: string; error: string }

export interface ThreatsView {
  section: SectionRef;
  items: { title: string; text: string }[];
  coverage: { table: TableRef; rows: { instances: string; coverage: string; applies: boolean }[]; note: string };
}

export interface AppendixRow { platform: string; cell: string; metrics: string; instances: string; failed: string; logs: string }
export interface AppendixEntry { figure: number; figureId: string; anchor: string; title: string; samplesFile: string; rows: AppendixRow[] }
export interface AppendixView { section: SectionRef; intro: string; entries: AppendixEntry[] }

/** A file written beside index.html, linked from it. */
export interface CompanionFile { href: string; what: string }

export interface ReportView {
  title: string;
  run: string;
  /** ISO time the run ended (or started): the report's only date, so re-rendering changes nothing */
  runTime: string;
  /** when the run ran, for readers */
  period: string;
  experiment: { name: string; description: string; file: string; sha256: string; seed: number };
  /** platform ids in report order (native first) */
  platformOrder: string[];
  titlePage: { heading: string; citation: string; doi: string; doiUrl: string };
  /** the sections with the page each starts on in the PDF ('' on screen and in the first print pass) */
  toc: (SectionRef & { page: string })[];
  /** the page as printed: the contents show page numbers */
  print?: boolean;
  summary: {
    section: SectionRef;
    /** "3 reproduced · 1 partly tested · …": each verdict kind counted apart */
    counts: VerdictCount[];
    sentence: string;
    claims: { table: TableRef; rows: ClaimLine[] } | null;
    noClaims: string;
    /** the host, in one line */
    host: string;
    /** what did not run, in one line */
    notRun: string;
  };
  runFacts: { section: SectionRef; facts: KeyValue[]; files: CompanionFile[] };
  host: { section: SectionRef; table: TableRef; rows: KeyValue[]; changes: string[] };
  /** a merged run: each claim's verdict per host (src/report/sections/cross-host.ts) */
  crossHost: CrossHostSectionView | null;
  platforms: { table: TableRef; rows: PlatformRow[]; alsoDetected: string[] };
  areas: AreaView[];
  notRun: {
    section: SectionRef;
    table: TableRef | null;
    rows: NotRunRow[];
    /** architecture notes whose platforms did not run, in one line */
    notes: string;
    failures: { table: TableRef | null; rows: FailureRow[] };
  };
  threats: ThreatsView;
  methods: {
    section: SectionRef;
    repetitions: string;
    statistics: string[];
    claims: string[];
    seeds: KeyValue[];
    commands: CommandGroup[];
    software: { table: TableRef; rows: KeyValue[] };
    sources: KeyValue[];
    experimentFile: { file: string; sha256: string; text: string };
  };
  appendix: AppendixView;
  /** every metric's table, measured rows only (printed compactly) */
  metricAppendix: MetricAppendixView;
  claimsAppendix: ClaimsAppendixView;
  /** the callouts' measured evidence, for verdicts.json */
  calloutEvidence: EvidenceRecord[];
  keywords: string[];
}

/** The "Across hosts" section of a merged run (src/report/sections/cross-host.ts). */
export interface CrossHostSectionView {
  section: SectionRef;
  hosts: string[];
  missing: { host: string; reason: string }[];
  intro: string;
  method: string[];
  rows: { id: string; claim: string; verdicts: { host: string; verdict: string; verdictClass: string; reason: string }[]; agreement: string; agreementClass: string }[];
  spread: { claim: string; ratio: string; perHost: string; pooled: string; spread: string; prediction: string }[];
}
