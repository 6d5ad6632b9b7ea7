/**
 * The log tab of a job-like resource whose API answers `logs?after=` with
 * its status (batch inferences, evaluations): a LogPoller fills the view
 * while the tab is mounted and stops once the job is final and read.
 */
import * as React from 'react';

import { LogView } from '../components/LogView';
import { useTrans } from '../i18n/react';
import { LogModel } from '../state/logModel';
import { download } from './download';
import { ILogPage, LogPoller } from './logPoller';

export function PolledLogs(props: {
  fetch: (after: number) => Promise<ILogPage>;
  /** The source has settled: nothing more to read once caught up. */
  isFinal(status: string): boolean;
  filename: string;
}): JSX.Element {
  const trans = useTrans();
  const model = React.useMemo(() => new LogModel(), []);
  const [state, setState] = React.useState('idle');
  const fetchRef = React.useRef(props.fetch);
  fetchRef.current = props.fetch;
  const isFinalRef = React.useRef(props.isFinal);
  isFinalRef.current = props.isFinal;
  React.useEffect(() => {
    const poller = new LogPoller(after => fetchRef.current(after), model, s => isFinalRef.current(s));
    poller.stateChanged.connect((_, next) => setState(next));
    poller.start();
    return () => poller.dispose();
  }, []);
  const label = state === 'ended' ? trans.__('ended') : state === 'following' ? trans.__('following') : trans.__('loading');
  return <LogView model={model} state={label} onDownload={() => download(props.filename, model.text())} />;
}
