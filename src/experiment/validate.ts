// JSON Schema validation with one readable error: the most specific problem, in words a user can act on.
import AjvModule, { type ErrorObject } from 'ajv';

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

export interface SchemaError {
  path: (string | number)[];
  keyword: string;
  params: Record<string, any>;
  data: unknown;
  description?: string;
  ajvMessage?: string;
}

/** Returns a validator that fills in defaults (mutating data) and returns null or the best error. */
export function makeValidator(schema: object): (data: unknown) => SchemaError | null {
  const ajv = new (Ajv as any)({ allErrors: true, useDefaults: true, verbose: true, strict: false });
  const validate = ajv.compile(schema);
  return (data: unknown) => {
    if (validate(data)) return null;
    return pickError(validate.errors as ErrorObject[]);
  };
}

function toPath(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function pickError(errors: ErrorObject[]): SchemaError {
  const depth = (e: ErrorObject) => toPath(e.instancePath).length + (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 1 : 0);
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  // A value that fits no alternative: say what the alternatives are rather than each branch's complaint.
  const rank = (e: ErrorObject) => {
    const inBranch = alternatives.some((a) => e.instancePath === a.instancePath && e.schemaPath.startsWith(a.schemaPath.replace(/\/(oneOf|anyOf)$/, '')) && e !== a);
    return depth(e) * 10 + (e.keyword === 'type' ? 0 : 2) + (e.keyword === 'additionalProperties' ? 3 : 0) - (inBranch ? 5 : 0) + (alternatives.includes(e) ? 3 : 0);
  };
  const best = [...errors].sort((a, b) => rank(b) - rank(a))[0];
  const parent = best.parentSchema as { description?: string; properties?: object } | undefined;
  const params = { ...(best.params as Record<string, any>) };
  if (best.keyword === 'additionalProperties') params.allowed = Object.keys(parent?.properties ?? {}).join(', ');
  return {
    path: toPath(best.instancePath),
    keyword: best.keyword,
    params,
    data: best.data,
    description: best.keyword === 'additionalProperties' || best.instancePath === '' ? undefined : parent?.description,
    ajvMessage: best.message,
  };
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

export function formatSchemaError(e: SchemaError): string {
  const hint = e.description ? ` (${e.description})` : '';
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key '${e.params.additionalProperty}'${suggest(String(e.params.additionalProperty), String(e.params.allowed ?? '').split(', '))}; allowed keys: ${allowedKeys(e)}`;
    case 'required':
      return `missing required key '${e.params.missingProperty}'`;
    case 'type':
      return `must be ${article(String(e.params.type))}, got ${typeName(e.data)}${e.data !== null && typeof e.data === 'object' ? '' : ` ${show(e.data)}`}${hint}`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `must be ${e.params.comparison} ${e.params.limit}, got ${show(e.data)}${hint}`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `must be ${e.params.comparison} ${e.params.limit}, got ${show(e.data)}${hint}`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map(show).join(', ')}, got ${show(e.data)}`;
    case 'const':
      return `must be ${show(e.params.allowedValue)}, got ${show(e.data)}`;
    case 'pattern':
      return `${show(e.data)} is not allowed${hint || `: must match ${e.params.pattern}`}`;
    case 'minItems':
      return `must have at least ${e.params.limit} item${e.params.limit === 1 ? '' : 's'}, got ${Array.isArray(e.data) ? e.data.length : 0}`;
    case 'maxItems':
      return `must have at most ${e.params.limit} items, got ${Array.isArray(e.data) ? e.data.length : '?'}`;
    case 'minLength':
    case 'maxLength':
      return `length must be ${e.keyword === 'minLength' ? '>=' : '<='} ${e.params.limit}`;
    case 'oneOf':
    case 'anyOf':
      return `${show(e.data)} is not allowed here${hint || ''}`;
    default:
      return `${e.ajvMessage ?? 'invalid'}${hint}`;
  }
}

function allowedKeys(e: SchemaError): string {
  return e.params.allowed || 'none';
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** ", did you mean 'x'?" for a near miss (edit distance <= 2). */
export function suggest(word: string, known: string[]): string {
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestD) { bestD = d; best = k; }
  }
  return best ? `, did you mean '${best}'?` : '';
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
