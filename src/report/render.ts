// Handlebars rendering of the view model into one self-contained HTML page (CSS and SVG inline).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { paths } from '../paths.ts';
import type { RenderedChart } from './charts.ts';
import type { ReportView } from './view-types.ts';

/** An open tag with its attributes (quoted values may hold '>'); text between tags is vega's escaped data. */
const TAG = /<([A-Za-z][^\s/>]*)((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>/g;
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/** True when no element is script-like and no attribute is an event handler or a javascript: link; escaped text may say anything. */
export function inertSvg(svg: string): boolean {
  for (const [, name, attrs] of svg.matchAll(TAG)) {
    if (/^(script|foreignObject|iframe|object|embed)$/i.test(name)) return false;
    for (const [, attr, dq, sq, bare] of attrs.matchAll(ATTRIBUTE)) {
      if (/^on/i.test(attr)) return false;
      if (/href$/i.test(attr) && !/^#/.test((dq ?? sq ?? bare ?? '').trim())) return false;
    }
  }
  return !/<!\[CDATA\[|<\?/.test(svg);
}

/** Templates are read from `templatesDir` (default: the project's templates/) on every call, so edits show without a restart. */
export function renderHtml(view: ReportView, charts: RenderedChart[], templatesDir: string = paths.templates): string {
  const hb = Handlebars.create();
  const partialsDir = path.join(templatesDir, 'partials');
  for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs')).sort()) {
    hb.registerPartial(file.slice(0, -'.hbs'.length), readFileSync(path.join(partialsDir, file), 'utf8'));
  }
  const css = readFileSync(path.join(templatesDir, 'style.css'), 'utf8');
  if (css.includes('{{')) throw new Error(`${path.join(templatesDir, 'style.css')}: contains '{{', which Handlebars would read as an expression; remove it`);
  hb.registerPartial('style', css.trimEnd());

  const svgByName = new Map(charts.map((c) => [c.name, c.svg]));
  // The only unescaped output: SVG that vega rendered (vega escapes the data's text inside it).
  hb.registerHelper('chart', (name: unknown) => {
    const svg = svgByName.get(String(name));
    if (svg === undefined) throw new Error(`templates: chart '${String(name)}' was not rendered (known: ${[...svgByName.keys()].join(', ')})`);
    if (!svg.startsWith('<svg') || !inertSvg(svg)) {
      throw new Error(`chart '${String(name)}': the rendered SVG holds script-like content; refusing to inline it`);
    }
    return new hb.SafeString(svg);
  });

  hb.registerHelper('pageRules', () => new hb.SafeString(pageRules(view)));

  const templateFile = path.join(templatesDir, 'report.hbs');
  const template = hb.compile(readFileSync(templateFile, 'utf8'), { strict: true, noEscape: false });
  return template(view);
}

/** A CSS string literal: every character outside a small safe set becomes a hex escape, so text from the data can end neither the string nor the style element. */
export function cssString(text: string): string {
  return `"${[...text].map((ch) => (/^[A-Za-z0-9 .,:;()'_\-]$/.test(ch) ? ch : `\\${ch.codePointAt(0)!.toString(16)} `)).join('')}"`;
}

const MARGIN_FONT = 'font-family: "Liberation Sans", Arial, sans-serif; font-size: 8pt; color: #444;';

/** Sections that share their pages (and running header) rather than each start a page: the body after page 1. */
const SHARED_PAGES: ((id: string) => boolean)[] = [
  (id) => ['run', 'host', 'across-hosts', 'not-run', 'threats', 'methods'].includes(id) || id.startsWith('area-'),
];

/** a running header fits beside the report's title: at most 100 characters, cut at a comma */
function shortHeader(text: string): string {
  if (text.length <= 100) return text;
  return `${text.slice(0, 100).replace(/,[^,]*$/, '')}, …`;
}

/** Print pages: the run in every footer with "page n of m", and each section's number and title as its pages' running header (named pages). */
export function pageRules(view: ReportView): string {
  const rules = [
    `@page { @bottom-left { content: ${cssString(`isobench · ${view.experiment.name} · run ${view.run}`)}; ${MARGIN_FONT} } @bottom-right { content: "page " counter(page) " of " counter(pages); ${MARGIN_FONT} } }`,
  ];
  const named = view.toc.filter((s) => /^[a-z0-9-]+$/.test(s.id));
  const groupOf = (id: string) => SHARED_PAGES.find((g) => g(id));
  named.forEach((s, i) => {
    const group = groupOf(s.id);
    const first = group ? named.findIndex((x) => groupOf(x.id) === group) : i;
    rules.push(`@media print { #${s.id} { page: section-${first}; } }`);
    if (first !== i) return;
    const members = named.filter((x) => groupOf(x.id) === group);
    const header = !group || members.length === 1 ? `${s.number} ${s.title}`
      : members.length > 3 ? shortHeader(`${members[0].number}–${members[members.length - 1].number} ${members.map((x) => x.title).join(', ')}`)
        : members.map((x) => `${x.number} ${x.title}`).join(' · ');
    // page 1 carries the title itself
    if (i > 0) rules.push(`@page section-${i} { @top-left { content: ${cssString(header)}; ${MARGIN_FONT} } @top-right { content: ${cssString(view.title)}; ${MARGIN_FONT} } }`);
  });
  return rules.join('\n');
}
