// Handlebars rendering of the view model into one self-contained HTML page (CSS and SVG inline).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { paths } from '../paths.ts';
import { APPENDICES } from './appendices.ts';
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

/** The body after page 1 shares its pages (a page per section left most of them half empty) and one running header. */
const APPENDIX_IDS = new Set<string>(Object.values(APPENDICES).map((a) => a.id));
const isBody = (id: string) => id !== 'summary' && !APPENDIX_IDS.has(id);
const BODY_HEADER = 'the run, the results by area, what did not run, threats to validity';

/** Print pages: the run in every footer with "page n of m"; the body's pages and each appendix's carry a running header (named pages). */
export function pageRules(view: ReportView): string {
  const rules = [
    `@page { @bottom-left { content: ${cssString(`isobench · ${view.experiment.name} · run ${view.run}`)}; ${MARGIN_FONT} } @bottom-right { content: "page " counter(page) " of " counter(pages); ${MARGIN_FONT} } }`,
  ];
  const named = view.toc.filter((s) => /^[a-z0-9-]+$/.test(s.id));
  const body = named.filter((s) => isBody(s.id));
  named.forEach((s, i) => {
    const first = isBody(s.id) ? named.indexOf(body[0]) : i;
    rules.push(`@media print { #${s.id} { page: section-${first}; } }`);
    if (first !== i) return;
    const header = isBody(s.id) && body.length > 1 ? `${body[0].number}–${body[body.length - 1].number} ${BODY_HEADER}` : `${s.number} ${s.title}`;
    // page 1 carries the title itself
    if (i > 0) rules.push(`@page section-${i} { @top-left { content: ${cssString(header)}; ${MARGIN_FONT} } @top-right { content: ${cssString(view.title)}; ${MARGIN_FONT} } }`);
  });
  return rules.join('\n');
}
