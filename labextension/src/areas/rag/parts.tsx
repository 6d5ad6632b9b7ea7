/** Small pieces of the RAG views: copy button, a URL with it, confirmations, polling while seen. */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import type { ITrans } from '../../shared/i18n';
import { useTrans } from '../../shared/i18n/react';

/** Copies `text` to the clipboard and says so for a moment. */
export function CopyButton(props: { text: string; label?: string; role?: string }): JSX.Element {
  const trans = useTrans();
  const [copied, setCopied] = React.useState(false);
  React.useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="jp-EasyMaker-button jp-EasyMaker-copy"
      data-action={props.role ?? 'copy'}
      title={trans.__('Copy to the clipboard')}
      onClick={() => {
        Clipboard.copyToSystem(props.text);
        setCopied(true);
      }}
    >
      {copied ? trans.__('Copied') : props.label ?? trans.__('Copy')}
    </button>
  );
}

/** A URL in code style with its copy button. */
export function UrlWithCopy(props: { url: string | null | undefined; role?: string }): JSX.Element {
  if (!props.url) {
    return <span>-</span>;
  }
  return (
    <span className="jp-EasyMaker-urlCopy" data-role={props.role}>
      <code className="jp-EasyMaker-url">{props.url}</code>
      <CopyButton text={props.url} />
    </span>
  );
}

/** A block of code (a curl call, a Python snippet) with its copy button. */
export function Snippet(props: { title: string; code: string; role: string }): JSX.Element {
  return (
    <div className="jp-EasyMaker-section" data-role={props.role}>
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{props.title}</h3>
        <CopyButton text={props.code} role={`copy-${props.role}`} />
      </div>
      <pre className="jp-EasyMaker-json" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        {props.code}
      </pre>
    </div>
  );
}

/** Ask before an action that cannot be undone or that changes what answers queries. */
export async function confirmAction(trans: ITrans, title: string, body: string, ok: string, danger = true): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), danger ? Dialog.warnButton({ label: ok }) : Dialog.okButton({ label: ok })],
    defaultButton: 0
  });
  return result.button.accept;
}

/**
 * Run `load` now and every `ms` while `active` (the panel and its tab are
 * seen); again whenever `deps` change. A slow answer never overlaps the next.
 */
export function usePolling(load: () => Promise<void>, ms: number, active: boolean, deps: React.DependencyList): void {
  const latest = React.useRef(load);
  latest.current = load;
  React.useEffect(() => {
    if (!active) {
      return;
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const run = async () => {
      try {
        await latest.current();
      } finally {
        if (!stopped) {
          timer = setTimeout(run, ms);
        }
      }
    };
    void run();
    return () => {
      stopped = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [active, ms, ...deps]);
}
