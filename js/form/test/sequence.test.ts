import { test } from 'node:test';
import assert from 'node:assert/strict';

import { EditSequence } from '../src/sequence';

test('a field is pending from its edit until the kernel answers that edit or a later one', () => {
  const edits = new EditSequence();
  assert.equal(edits.busy, false);
  const first = edits.next('model_name');
  assert.equal(edits.pending('model_name'), true);
  assert.equal(edits.pending('model_version'), false);
  assert.equal(edits.busy, true);
  edits.answer(first);
  assert.equal(edits.pending('model_name'), false);
  assert.equal(edits.busy, false);
});

test('an answer to an older edit leaves the newer one pending (the kernel has not seen it yet)', () => {
  const edits = new EditSequence();
  const a = edits.next('model_version');
  edits.next('model_version');
  edits.answer(a);
  assert.equal(edits.pending('model_version'), true);
  assert.equal(edits.busy, true);
});

test('answers only move forward, and never past what was sent', () => {
  const edits = new EditSequence();
  const a = edits.next('x');
  const b = edits.next('y');
  edits.answer(b);
  edits.answer(a); // late, out of order: ignored
  assert.equal(edits.pending('x'), false);
  assert.equal(edits.pending('y'), false);
  edits.answer(99); // a kernel that claims more than was sent
  const c = edits.next('x');
  assert.equal(c, 3);
  assert.equal(edits.pending('x'), true);
  edits.answer(Number.NaN);
  assert.equal(edits.pending('x'), true);
});

test('edits of other fields do not make a field pending', () => {
  const edits = new EditSequence();
  const a = edits.next('a');
  edits.answer(a);
  edits.next('b');
  assert.equal(edits.pending('a'), false);
  assert.equal(edits.pending('b'), true);
});

test('reset forgets everything (a restarted kernel answers nothing)', () => {
  const edits = new EditSequence();
  edits.next('a');
  edits.reset();
  assert.equal(edits.busy, false);
  assert.equal(edits.pending('a'), false);
});

test('a view drawn again numbers its edits on from what the kernel answered before (a reloaded page)', () => {
  const edits = new EditSequence();
  edits.start(12); // the kernel's `answered` when this view was drawn
  assert.equal(edits.busy, false);
  const seq = edits.next('model_version');
  assert.equal(seq, 13);
  assert.equal(edits.pending('model_version'), true);
  edits.answer(12); // what the kernel said before this view existed answers nothing new
  assert.equal(edits.pending('model_version'), true);
  edits.answer(13);
  assert.equal(edits.busy, false);
  edits.start(40); // only before the first edit
  assert.equal(edits.next('x'), 14);
});
