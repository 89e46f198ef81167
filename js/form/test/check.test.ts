/**
 * The browser's checker against the kernel's: for every case (a field's JSON schema from the rule table, a
 * value, and the kernel's own message for it, written by tests/test_js.py), the browser flags an error exactly
 * when the kernel does, in the kernel's words. Without MI_CASES (node run by hand) a few fixed cases run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { checkValue, ISchema } from '../src/check';

interface ICase {
  field: string;
  schema: ISchema;
  value: string;
  kernel: string;
  same_words?: boolean;
}

const cases: ICase[] = process.env.MI_CASES
  ? JSON.parse(readFileSync(process.env.MI_CASES, 'utf8'))
  : [
      {
        field: 'model_version',
        schema: { pattern: '^(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)$', type: 'string' },
        value: '01.0.0',
        kernel: 'model_version: error'
      },
      { field: 'model_version', schema: { pattern: '^[0-9.]+$' }, value: '1.0.0', kernel: '' }
    ];

test(`the browser agrees with the kernel on ${cases.length} cases`, () => {
  const disagreements: string[] = [];
  for (const c of cases) {
    const browser = checkValue(c.schema, c.value, c.field);
    if ((browser === '') !== (c.kernel === '')) {
      disagreements.push(`${c.field}=${JSON.stringify(c.value)}: browser "${browser}", kernel "${c.kernel}"`);
    } else if (browser && c.same_words) {
      const rule = browser.split(' — got ')[0];
      if (!c.kernel.startsWith(rule)) {
        disagreements.push(`${c.field}=${JSON.stringify(c.value)}: browser "${rule}…", kernel "${c.kernel}"`);
      }
    }
  }
  assert.deepEqual(disagreements, []);
});
