/**
 * The browser side of the rule table: checks a control's text against the JSON-schema fragment the kernel
 * sent (pattern, minLength, maxLength, enum, const, type, anyOf-with-null, required, x-messages).
 *
 * No rule and no message is written here: both come from the schema (`spec.ModelSpec.model_json_schema()`),
 * and the messages read exactly as the kernel's ("<message> — got <value>").
 */

/** A JSON-schema fragment as pydantic emits it, plus `required: true` for required fields. */
export interface ISchema {
  [keyword: string]: unknown;
}

/** Keywords checked on a non-empty value, in the order their messages take priority. */
const VALUE_KEYWORDS = [
  'const',
  'enum',
  'type',
  'minLength',
  'maxLength',
  'pattern'
] as const;

type Keyword = (typeof VALUE_KEYWORDS)[number] | 'required';

/** How the kernel shows a value in a message (`spec._shown`): at most 40 characters. */
const SHOWN_LIMIT = 40;

/** Returns the message for `value` under `schema`, or '' when the browser finds nothing wrong. */
export function checkValue(
  schema: ISchema | null | undefined,
  value: string,
  fieldName = ''
): string {
  if (!schema || typeof schema !== 'object') {
    return '';
  }
  const messages = messagesOf(schema);
  // A blank control means "not given": an error only where the kernel marked the field required (an
  // optional field's `anyOf: [..., {type: null}]` may have been folded away before it got here).
  if (isBlank(value)) {
    return schema.required === true ? (messages.required ?? `${labelOf(fieldName)} is required`) : '';
  }
  // The kernel strips leading and trailing white space before checking (the rule table's
  // str_strip_whitespace): " 1.0.0" is a good version there, so it is here.
  value = value.trim();
  const branches = branchesOf(schema);

  let firstFailure: Keyword | null = null;
  for (const branch of branches) {
    const failed = firstFailingKeyword(branch, value);
    if (failed === null) {
      return '';
    }
    firstFailure = firstFailure ?? failed;
  }
  if (firstFailure === null) {
    return '';
  }
  const rule =
    messages[firstFailure] ??
    (firstFailure === 'const' ? messages.enum : undefined) ??
    (firstFailure === 'enum' ? messages.const : undefined) ??
    `${labelOf(fieldName)}: ${fallbackWording(firstFailure)}`;
  return `${rule} — got ${shown(value)}`;
}

/** The `x-messages` object: keyword -> message text. */
function messagesOf(schema: ISchema): Partial<Record<Keyword, string>> {
  const raw = schema['x-messages'];
  const out: Partial<Record<Keyword, string>> = {};
  if (raw && typeof raw === 'object') {
    for (const [key, text] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof text === 'string' && text) {
        out[key as Keyword] = text;
      }
    }
  }
  return out;
}

function alternativesOf(schema: ISchema): ISchema[] {
  const anyOf = schema.anyOf ?? schema.oneOf;
  return Array.isArray(anyOf) ? (anyOf as ISchema[]) : [];
}

/**
 * The non-null alternatives, each merged with the fragment's own keywords (pydantic puts `enum` or
 * `pattern` at the top for a plain field and inside `anyOf` for an optional one).
 */
function branchesOf(schema: ISchema): ISchema[] {
  const { anyOf: _a, oneOf: _o, ...outer } = schema;
  const alternatives = alternativesOf(schema);
  if (alternatives.length === 0) {
    return [outer];
  }
  return alternatives
    .filter(alt => !(alt && typeof alt === 'object' && alt.type === 'null'))
    .map(alt => ({ ...outer, ...alt }));
}

function firstFailingKeyword(schema: ISchema, value: string): Keyword | null {
  for (const keyword of VALUE_KEYWORDS) {
    if (keyword in schema && !satisfies(keyword, schema[keyword], value)) {
      return keyword;
    }
  }
  return null;
}

function satisfies(keyword: Keyword, expected: unknown, value: string): boolean {
  switch (keyword) {
    case 'const':
      return String(expected) === value;
    case 'enum':
      return !Array.isArray(expected) || expected.some(item => String(item) === value);
    case 'type':
      return (Array.isArray(expected) ? expected : [expected]).some(type => hasType(String(type), value));
    case 'minLength':
      return typeof expected !== 'number' || codePoints(value) >= expected;
    case 'maxLength':
      return typeof expected !== 'number' || codePoints(value) <= expected;
    case 'pattern': {
      const regex = compiled(expected);
      return regex === null || regex.test(value);
    }
    default:
      return true;
  }
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Whether the control's text can stand for a value of a JSON type (the kernel parses it the same way). */
function hasType(type: string, value: string): boolean {
  switch (type) {
    case 'number':
      return NUMBER.test(value) && Number.isFinite(Number(value));
    case 'integer':
      return NUMBER.test(value) && Number.isInteger(Number(value));
    case 'boolean':
      return value === 'true' || value === 'false';
    case 'null':
      return isBlank(value);
    default:
      // string, and object/array typed as text (JSON): the kernel parses and checks those itself.
      return true;
  }
}

const regexCache = new Map<string, RegExp | null>();

/**
 * Compiles a pattern once. JSON-schema patterns are unanchored searches like pydantic's; a pattern this
 * engine cannot read is skipped (the kernel still checks it) rather than blocking the field.
 */
function compiled(pattern: unknown): RegExp | null {
  if (typeof pattern !== 'string') {
    return null;
  }
  if (!regexCache.has(pattern)) {
    let regex: RegExp | null = null;
    try {
      regex = new RegExp(pattern);
    } catch (err) {
      console.warn(`model-import-widget: cannot check pattern ${pattern}`, err);
    }
    regexCache.set(pattern, regex);
  }
  return regexCache.get(pattern) ?? null;
}

function codePoints(value: string): number {
  return [...value].length;
}

function isBlank(value: string): boolean {
  return value.trim() === '';
}

function shown(value: string): string {
  const chars = [...value];
  return chars.length <= SHOWN_LIMIT ? value : chars.slice(0, SHOWN_LIMIT - 1).join('') + '…';
}

function labelOf(fieldName: string): string {
  return fieldName.replace(/_/g, ' ') || 'value';
}

/** Only for a rule whose message the schema lacks (the kernel's own wording replaces it once it answers). */
function fallbackWording(keyword: Keyword): string {
  switch (keyword) {
    case 'pattern':
      return 'does not have the expected form';
    case 'maxLength':
      return 'is too long';
    case 'minLength':
      return 'is too short';
    case 'type':
      return 'has the wrong type';
    default:
      return 'is not one of the allowed values';
  }
}
