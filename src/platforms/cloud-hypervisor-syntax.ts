// Cloud Hypervisor's documented option syntax (data/cloud-hypervisor/), and a check of generated argv against it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { paths } from '../paths.ts';

/** Syntax stored in data/cloud-hypervisor/<version>/options.json, oldest first (v0.8.0, the paper's, only to explain its refusal). */
export const CLOUD_HYPERVISOR_SYNTAX_VERSIONS = ['v0.8.0', 'v53.0'];
/** The releases isobench drives: a point release (v53.1) has its major's syntax. */
export const CLOUD_HYPERVISOR_DRIVEN = ['v53.0'];

const major = (v: string) => /^v?(\d+)/.exec(v)?.[1];

export type CloudHypervisorSupport = { ok: true; syntax: string } | { ok: false; reason: string };

/** Whether isobench can drive this Cloud Hypervisor (its argv checked against that release's syntax), and if not, why. */
export function cloudHypervisorSupport(installed: string, sampleArgv?: string[]): CloudHypervisorSupport {
  const v = installed.startsWith('v') ? installed : `v${installed}`;
  const driven = CLOUD_HYPERVISOR_DRIVEN.find((d) => d === v || (major(d) !== '0' && major(d) === major(v)));
  if (driven) return { ok: true, syntax: driven };
  const why = [`isobench has no stored command-line syntax for Cloud Hypervisor ${v} to check its arguments against (it drives ${CLOUD_HYPERVISOR_DRIVEN.join(', ')})`];
  const stored = CLOUD_HYPERVISOR_SYNTAX_VERSIONS.find((s) => s === v);
  if (stored && sampleArgv) {
    const problems = checkCloudHypervisorArgv(sampleArgv, loadSyntax(stored));
    if (problems.length) why.push(`the arguments it generates do not fit ${v}'s syntax (data/cloud-hypervisor/${v}/options.json: ${problems.join('; ')})`);
  }
  return { ok: false, reason: `${why.join('; ')}. Install ${CLOUD_HYPERVISOR_DRIVEN[CLOUD_HYPERVISOR_DRIVEN.length - 1]} with \`isobench setup --provision cloud-hypervisor\`, or store ${v}'s syntax (data/cloud-hypervisor/README.md)` };
}

interface OptionDoc { help: string; structured: boolean; multiple: boolean }

/** What a structured option accepts: bare words (off, tty) and keys, each free-form or from an enumeration. */
export interface OptionSyntax {
  bare: Set<string>;
  keys: Map<string, string[] | null>;
}

/** Split on `sep` outside <...> and [...] (values like <raw,qcow2> and fd=[3,4] hold commas). */
export function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '<' || c === '[') depth++;
    else if ((c === '>' || c === ']') && depth > 0) depth--;
    if (c === sep && depth === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** '<path>' and v0.8.0's '/path/to/a/file' are placeholders, not enumerations */
const freeForm = (v: string) => v.startsWith('<') || v.startsWith('/');

/** Parse a help string such as 'Disk parameters "path=<disk_image_path>,readonly=on|off,..."'. */
export function parseSyntax(help: string): OptionSyntax {
  // the syntax sits in quotes after a label; DiskConfig's closing quote is missing upstream, so the end of the string closes it too
  // v0.8.0's --serial help has no quotes: the syntax is what follows the label's colon
  const quoted = /"([^"]*)"?/.exec(help)?.[1] ?? help.replace(/^[A-Z][^:<="]*:\s*/, '');
  const syntax: OptionSyntax = { bare: new Set(), keys: new Map() };
  for (const item of splitTop(quoted, ',')) {
    const kv = /^([a-z_]+)=(.*)$/.exec(item);
    if (kv && !splitTop(kv[2], '|').some((alt) => alt.includes('='))) {
      syntax.keys.set(kv[1], freeForm(kv[2]) ? null : splitTop(kv[2], '|'));
      continue;
    }
    for (const alt of splitTop(item, '|')) {
      const m = /^([a-z_]+)=(.*)$/.exec(alt);
      if (m) syntax.keys.set(m[1], freeForm(m[2]) ? null : [m[2]]);
      else if (alt) syntax.bare.add(alt);
    }
  }
  return syntax;
}

export function loadSyntax(version = CLOUD_HYPERVISOR_SYNTAX_VERSIONS[CLOUD_HYPERVISOR_SYNTAX_VERSIONS.length - 1]): Record<string, OptionDoc> {
  const file = path.join(paths.root, 'data', 'cloud-hypervisor', version, 'options.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { options: Record<string, OptionDoc> }).options;
}

/** Problems of an argv (argv[0] the binary) against the documented syntax; [] when it conforms. */
export function checkCloudHypervisorArgv(argv: string[], docs = loadSyntax()): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith('--')) { problems.push(`argv[${i}]: '${flag}' is not an option`); continue; }
    const name = flag.slice(2);
    const doc = docs[name];
    if (!doc) { problems.push(`--${name}: not a documented option`); continue; }
    if (seen.has(name) && !doc.multiple) problems.push(`--${name}: given twice`);
    seen.add(name);
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) { problems.push(`--${name}: missing value`); i--; continue; }
    if (!doc.structured) continue;
    const syntax = parseSyntax(doc.help);
    const keys = new Set<string>();
    for (const part of splitTop(value, ',')) {
      const kv = /^([a-z_]+)=(.*)$/.exec(part);
      if (!kv) {
        if (!syntax.bare.has(part)) problems.push(`--${name}: '${part}' is not one of ${[...syntax.bare].join('|') || '(no bare values)'}`);
        continue;
      }
      const [, key, v] = kv;
      if (!syntax.keys.has(key)) { problems.push(`--${name}: unknown key '${key}' (documented: ${[...syntax.keys.keys()].join(', ')})`); continue; }
      if (keys.has(key)) problems.push(`--${name}: key '${key}' given twice`);
      keys.add(key);
      const allowed = syntax.keys.get(key);
      if (v === '') problems.push(`--${name}: ${key} has no value`);
      else if (allowed && !allowed.includes(v)) problems.push(`--${name}: ${key}=${v} is not one of ${allowed.join('|')}`);
    }
  }
  return problems;
}
