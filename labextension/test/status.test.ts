/**
 * The panel's badge colours must be those of the ipywidgets view: parse
 * jupyter_easymaker/status_colors.py and compare with src/status.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import {
  DEFAULT_COLOR,
  EXPERIMENT_STATUSES,
  FINAL_TRAINING_STATUSES,
  STATUS_COLORS,
  TRAINING_STATUSES,
  statusColor
} from '../src/status';

const PY = path.resolve(__dirname, '../../jupyter_easymaker/status_colors.py');

/** Drop a `# comment` that is not inside a string. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Evaluate the Python literals we need (dicts of str -> {bg, fg}, tuples of str). */
function pyLiteral(source: string, name: string): unknown {
  const start = source.search(new RegExp(`^${name}\\s*=`, 'm'));
  expect(start, `${name} is not defined in status_colors.py`).toBeGreaterThanOrEqual(0);
  const rest = source.slice(source.indexOf('=', start) + 1);
  // take the balanced bracket expression
  const open = rest.search(/[[{(]/);
  let depth = 0;
  let end = open;
  for (; end < rest.length; end++) {
    const c = rest[end];
    if ('[{('.includes(c)) depth++;
    if (']})'.includes(c)) depth--;
    if (depth === 0) break;
  }
  const expr = rest
    .slice(open, end + 1)
    .split('\n')
    .map(stripComment)
    .join('\n')
    .replace(/^\(/, '[')
    .replace(/\)$/, ']')
    .replace(/'/g, '"')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(expr);
}

describe('status colours mirror the Python widgets', () => {
  const source = fs.readFileSync(PY, 'utf8');

  it('has the same colour for every status', () => {
    expect(STATUS_COLORS).toEqual(pyLiteral(source, 'STATUS_COLORS'));
  });

  it('has the same default colour', () => {
    expect(DEFAULT_COLOR).toEqual(pyLiteral(source, 'DEFAULT_COLOR'));
  });

  it('has the same final training statuses', () => {
    expect([...FINAL_TRAINING_STATUSES]).toEqual(pyLiteral(source, 'FINAL_TRAINING_STATUSES'));
  });

  it('colours every status word of the guide', () => {
    for (const s of [...TRAINING_STATUSES, ...EXPERIMENT_STATUSES]) {
      expect(STATUS_COLORS[s], s).toBeDefined();
    }
    expect(statusColor('SOMETHING ELSE')).toEqual(DEFAULT_COLOR);
  });
});
