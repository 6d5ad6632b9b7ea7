import { describe, expect, it } from 'vitest';

import { formatBytes, formatElapsed, formatNumber, parseTime, trainingElapsed } from '../src/shared/state/format';

describe('formatElapsed (same as magics/formatting.py format_elapsed)', () => {
  it.each([
    [null, '-'],
    [0, '0s'],
    [42.9, '42s'],
    [60, '1m 00s'],
    [187, '3m 07s'],
    [3600, '1h 00m'],
    [7500, '2h 05m']
  ])('%s -> %s', (seconds, text) => {
    expect(formatElapsed(seconds as number | null)).toBe(text);
  });
});

describe('trainingElapsed', () => {
  it('ticks while running', () => {
    const started = '2025-01-01T00:00:00';
    const now = Date.parse('2025-01-01T00:01:30Z');
    expect(trainingElapsed({ status: 'RUNNING', started_at: started, finished_at: null, elapsed_seconds: 5 }, now)).toBe(90);
  });

  it('uses the server figure once ended', () => {
    expect(
      trainingElapsed({ status: 'COMPLETE', started_at: '2025-01-01T00:00:00', finished_at: '2025-01-01T00:00:30', elapsed_seconds: 30 })
    ).toBe(30);
  });

  it('parses naive times as UTC and keeps offsets', () => {
    expect(parseTime('2025-01-01T00:00:00')).toBe(Date.UTC(2025, 0, 1));
    expect(parseTime('2025-01-01T09:00:00+09:00')).toBe(Date.UTC(2025, 0, 1));
    expect(parseTime(null)).toBeNull();
  });
});

describe('numbers', () => {
  it('formats bytes and values', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(null)).toBe('-');
  });
});
