/** Formatting shared by the panels (the same elapsed format as the widgets). */
import { clockRuns } from '../status';

/**
 * Elapsed time the way `magics/formatting.py:format_elapsed` writes it:
 * `42s`, `3m 07s`, `2h 05m`; `-` when unknown.
 */
export function formatElapsed(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) {
    return '-';
  }
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Parse the server's ISO times (naive ones are UTC). */
export function parseTime(value: string | null | undefined): number | null {
  if (!value) {
    return null;
  }
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** When a job ran (a training's, a tuning's fields). */
export interface IJobTimes {
  status: string;
  started_at?: string | null;
  finished_at?: string | null;
  elapsed_seconds?: number | null;
}

/** Seconds a training has run: live while it runs, the server's figure after. */
export function trainingElapsed(training: IJobTimes, nowMs = Date.now()): number | null {
  const started = parseTime(training.started_at);
  if (started !== null && !training.finished_at && clockRuns('training', training.status)) {
    return Math.max(0, (nowMs - started) / 1000);
  }
  return training.elapsed_seconds ?? null;
}

/** Local date and time, e.g. `2025-01-31 14:05:09`. */
export function formatTime(value: string | null | undefined): string {
  const t = parseTime(value);
  if (t === null) {
    return '-';
  }
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) {
    return '-';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A metric value with at most 4 significant decimals. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '-';
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  return Math.abs(value) >= 1000 ? value.toFixed(1) : String(Number(value.toPrecision(4)));
}
