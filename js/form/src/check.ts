/**
 * The browser side of the rule table: checks a control's text against the JSON-schema fragment the kernel
 * sent (pattern, minLength, maxLength, enum, const, type, anyOf-with-null, required, x-messages, and what the
 * kernel does to text first: x-strip, x-blank, x-number-pattern — see spec._browser_keywords).
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
  if (isBlank(schema, value)) {
    return schema.required === true ? (messages.required ?? `${labelOf(fieldName)} is required`) : '';
  }
  // The kernel strips exactly the characters of `x-strip` from both ends before checking (the rule table's
  // str_strip_whitespace): " 1.0.0" is a good version there, so it is here; "\ufeff1.0.0" is not, in either.
  value = stripped(value, charsOf(schema, 'x-strip'));
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
    if (keyword in schema && !satisfies(keyword, schema, value)) {
      return keyword;
    }
  }
  return null;
}

function satisfies(keyword: Keyword, schema: ISchema, value: string): boolean {
  const expected = schema[keyword];
  switch (keyword) {
    case 'const':
      return String(expected) === value;
    case 'enum':
      return !Array.isArray(expected) || expected.some(item => String(item) === value);
    case 'type':
      return (Array.isArray(expected) ? expected : [expected]).some(type => hasType(String(type), value, schema));
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

/**
 * Whether the control's text can stand for a value of a JSON type. A number's text must be spelled as the
 * kernel reads it (`x-number-pattern`) and be finite; without that keyword the kernel alone decides.
 */
function hasType(type: string, value: string, schema: ISchema): boolean {
  switch (type) {
    case 'number':
    case 'integer': {
      const spelling = compiled(schema['x-number-pattern']);
      if (spelling === null) {
        return true;
      }
      const number = Number(value);
      return spelling.test(value) && (type === 'number' ? Number.isFinite(number) : Number.isInteger(number));
    }
    case 'boolean':
      return value === 'true' || value === 'false';
    case 'null':
      return value === '';
    default:
      // string, and object/array typed as text (JSON): the kernel parses and checks those itself.
      return true;
  }
}

const regexCache = new Map<string, RegExp | null>();

/**
 * Compiles a pattern once. JSON-schema patterns are unanchored searches like pydantic's; a pattern this
 * engine cannot read is skipped (the kernel still checks it) rather than blocking the field.
 *
 * Read in Unicode mode ('u'), as the kernel's Rust regex reads it: a class matches one code point, so
 * `[^<>]{0,100}` counts characters, not UTF-16 halves of an emoji. Unicode mode refuses escapes of characters
 * that need none (the rule table's `\"`): those backslashes are dropped first.
 */
function compiled(pattern: unknown): RegExp | null {
  if (typeof pattern !== 'string') {
    return null;
  }
  if (!regexCache.has(pattern)) {
    let regex: RegExp | null = null;
    try {
      const unicode = pattern.replace(/\\(.)/gs, (escape, char: string) =>
        NEEDLESS_ESCAPE.test(char) ? char : escape
      );
      regex = new RegExp(unicode, 'u');
    } catch (err) {
      console.warn(`model-import-widget: cannot check pattern ${pattern}`, err);
    }
    regexCache.set(pattern, regex);
  }
  return regexCache.get(pattern) ?? null;
}

/** Characters whose escape means the character itself in Python and Rust but is an error in Unicode mode. */
const NEEDLESS_ESCAPE = /^[^A-Za-z0-9\\^$.*+?()[\]{}|\/-]$/;

function codePoints(value: string): number {
  return [...value].length;
}

/**
 * Whether the control's text counts as not given: nothing remains once the characters of `x-blank` (the
 * kernel's STRIP_CHARS) are stripped from both ends. Without the keyword only '' is blank.
 */
export function isBlank(schema: ISchema | null | undefined, value: string): boolean {
  return stripped(value, charsOf(schema, 'x-blank') || charsOf(schema, 'x-strip')) === '';
}

/** The characters a keyword names (x-strip, x-blank), as a set; empty when the schema lacks it. */
function charsOf(schema: ISchema | null | undefined, keyword: 'x-strip' | 'x-blank'): string {
  const chars = schema?.[keyword];
  return typeof chars === 'string' ? chars : '';
}

/** `value` without the characters of `chars` at either end (JavaScript's trim() strips another set). */
function stripped(value: string, chars: string): string {
  if (!chars) {
    return value;
  }
  let start = 0;
  let end = value.length;
  while (start < end && chars.includes(value[start])) {
    start++;
  }
  while (end > start && chars.includes(value[end - 1])) {
    end--;
  }
  return value.slice(start, end);
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
