/**
 * The log tab of a job-like resource whose API has `logs?after=` but no
 * follow stream (batch inferences, evaluations): reads new records every
 * two seconds while the tab is shown and the job has not ended.
 */
import * as React from 'react';

import type { ILogRecord } from '../api/types';
import { LogView } from '../components/LogView';
import { useTrans } from '../i18n/react';
import { LogModel } from '../state/logModel';
import { download } from './trainingDetail';

export type LogPager = (after: number) => Promise<{ records: ILogRecord[]; next_after?: number }>;

export function PolledLogs(props: { fetch: LogPager; active: boolean; filename: string }): JSX.Element {
  const trans = useTrans();
  const model = React.useMemo(() => new LogModel(), []);
  const [state, setState] = React.useState(trans.__('loading'));
  const fetchRef = React.useRef(props.fetch);
  fetchRef.current = props.fetch;
  React.useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const read = async () => {
      try {
        // drain what is there, a page at a time
        for (;;) {
          const page = await fetchRef.current(model.lastId);
          if (stopped) {
            return;
          }
          model.add(page.records);
          if (page.records.length < 1000) {
            break;
          }
        }
        setState(props.active ? trans.__('following') : trans.__('ended'));
      } catch (error) {
        setState(String((error as Error)?.message ?? error));
      }
      if (!stopped && props.active) {
        timer = setTimeout(() => void read(), 2000);
      }
    };
    void read();
    return () => {
      stopped = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [props.active]);
  return <LogView model={model} state={state} onDownload={() => download(props.filename, model.text())} />;
}
