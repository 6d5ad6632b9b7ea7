/**
 * The tuning's monitoring tab: CPU and memory (and GPU, where one was
 * given) of its trials, each trial's usage samples in its own charts. The
 * running trials come first; while the tuning runs the samples are re-read
 * every few seconds (usage samples come without change events).
 */
import * as React from 'react';

import type { IMetrics } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { MonitoringView } from '../../shared/panels/metricsViews';
import { errorText } from '../../shared/state/listModel';
import type { ITrial } from './api';
import { tuningsApi } from './api';

/** At most this many trials are charted (the running ones, then the newest). */
export const MONITORED_TRIALS = 8;
const REFRESH_MS = 5000;

/** The trials whose usage is charted: running first, then by number, newest first. */
export function monitoredTrials(trials: readonly ITrial[]): ITrial[] {
  const running = (t: ITrial) => (t.status === 'RUNNING' ? 0 : 1);
  return [...trials].sort((a, b) => running(a) - running(b) || b.number - a.number).slice(0, MONITORED_TRIALS);
}

export function TuningMonitoring(props: { ctx: EasyMakerContext; tuningId: string; trials: readonly ITrial[] | null; running: boolean }): JSX.Element {
  const { ctx, tuningId, running } = props;
  const trans = useTrans();
  const shown = monitoredTrials(props.trials ?? []);
  const ids = shown.map(t => t.id).join(',');
  const [usage, setUsage] = React.useState<{ [trialId: string]: IMetrics | string }>({});
  React.useEffect(() => {
    let current = true;
    const load = async () => {
      const api = tuningsApi(ctx);
      const answers = await Promise.allSettled(shown.map(t => api.trialMetrics(tuningId, t.id)));
      if (current) {
        setUsage(Object.fromEntries(shown.map((t, i) => {
          const a = answers[i];
          return [t.id, a.status === 'fulfilled' ? a.value : errorText(a.reason)];
        })));
      }
    };
    void load();
    const timer = running ? setInterval(() => void load(), REFRESH_MS) : null;
    return () => {
      current = false;
      if (timer !== null) {
        clearInterval(timer);
      }
    };
  }, [tuningId, ids, running]);
  if (!shown.length) {
    return <div className="jp-EasyMaker-empty" data-role="no-usage">{trans.__('No trials yet.')}</div>;
  }
  return (
    <div className="jp-EasyMaker-tuningMonitoring" data-role="monitoring">
      {shown.map(t => {
        const answer = usage[t.id];
        return (
          <section key={t.id} className="jp-EasyMaker-section" data-trial={t.number}>
            <h3 className="jp-EasyMaker-groupTitle">{trans.__('Trial %1 (%2)', t.number, t.status)}</h3>
            <MonitoringView metrics={typeof answer === 'object' ? answer : null} error={typeof answer === 'string' ? answer : null} />
          </section>
        );
      })}
    </div>
  );
}
