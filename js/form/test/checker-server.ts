/**
 * The browser's checker as a line server, for tests/test_parity.py: one JSON line in, {schema, value, field},
 * one JSON line out, {message} (checkValue's answer, '' when it finds nothing). Non-ASCII characters are
 * escaped in the answer, so a U+2028 or U+0085 in a message cannot split its line on the reading side.
 */
import { createInterface } from 'node:readline';

import { checkValue, ISchema } from '../src/check';

interface IRequest {
  schema: ISchema;
  value: string;
  field?: string;
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', line => {
  let answer: Record<string, string>;
  try {
    const request = JSON.parse(line) as IRequest;
    answer = { message: checkValue(request.schema, request.value, request.field ?? '') };
  } catch (err) {
    answer = { error: String(err) };
  }
  const text = JSON.stringify(answer).replace(
    /[\u007f-\uffff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  );
  process.stdout.write(`${text}\n`);
});
