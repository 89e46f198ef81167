/**
 * Which message a field or cell shows (dom.ts pickMessage): the browser's own check only until the kernel has
 * answered what was typed, then the kernel's verdict alone; no error before the person changed the control or
 * an import was tried (unless the kernel put a non-blank value there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { IVerdicts, pickMessage } from '../src/dom';

const typed: IVerdicts = { browser: 'bad — got x', pending: true, fromKernel: false, reveal: true };

test('while the kernel has not answered, the browser check shows and holds Import back', () => {
  assert.deepEqual(pickMessage({ ...typed, error: 'old answer' }),
                   { text: 'bad — got x', level: 'error', browserBlocks: true });
});

test("once the kernel has answered typed text, only its verdict shows, even where the browser's disagrees", () => {
  assert.deepEqual(pickMessage({ ...typed, pending: false }), { text: '', level: '', browserBlocks: false });
  assert.deepEqual(pickMessage({ ...typed, pending: false, error: 'kernel says' }),
                   { text: 'kernel says', level: 'error', browserBlocks: false });
  assert.equal(pickMessage({ ...typed, browser: '', pending: false, warning: 'careful' }).level, 'warning');
});

test('text the kernel put there: its error first, the browser check beside it', () => {
  const prefilled = { ...typed, pending: false, fromKernel: true };
  assert.equal(pickMessage({ ...prefilled, error: 'kernel says' }).text, 'kernel says');
  assert.deepEqual(pickMessage(prefilled), { text: 'bad — got x', level: 'error', browserBlocks: true });
});

test('no error before the control is changed or an import tried; warnings and hints still show', () => {
  const quiet = { ...typed, pending: false, fromKernel: true, reveal: false, error: 'required' };
  assert.deepEqual(pickMessage(quiet), { text: '', level: '', browserBlocks: false });
  assert.deepEqual(pickMessage({ ...quiet, hint: 'a name is generated' }),
                   { text: 'a name is generated', level: 'hint', browserBlocks: false });
});
