import type { ISignal } from '@lumino/signaling';
import * as React from 'react';

/** Re-render when a Lumino signal fires. */
export function useSignal<T>(signal: ISignal<T, unknown> | null | undefined): number {
  const [count, setCount] = React.useState(0);
  React.useEffect(() => {
    if (!signal) {
      return;
    }
    const slot = () => setCount(c => c + 1);
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
  return count;
}

/** The current time, updated every `ms` while `active`. */
export function useNow(ms: number, active: boolean): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms, active]);
  return now;
}

/** A value that follows `value` after `ms` without changes. */
export function useDebounced<T>(value: T, ms: number): T {
  const [out, setOut] = React.useState(value);
  React.useEffect(() => {
    const timer = setTimeout(() => setOut(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return out;
}
