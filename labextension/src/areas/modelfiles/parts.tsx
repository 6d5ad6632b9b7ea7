/** Parts of the model files area: the avatar, tag chips, availability. */
import * as React from 'react';

import { useTrans } from '../../shared/i18n/react';
import type { IModelFile } from './api';
import { isImage, tagNames } from './shaping';

export function Avatar(props: { url?: string | null; name: string; size?: number }): JSX.Element {
  const size = props.size ?? 24;
  const url = props.url ?? '';
  const style: React.CSSProperties = { width: size, height: size, borderRadius: '50%', flex: `0 0 ${size}px`, objectFit: 'cover' };
  // Open WebUI's own default (/static/favicon.png) is not on this server: initials instead
  if (url && isImage(url) && !url.startsWith('/static/')) {
    return <img src={url} alt="" style={style} data-role="avatar" />;
  }
  const initials = props.name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map(w => w[0]!.toUpperCase())
    .join('');
  return (
    <span
      data-role="avatar"
      style={{
        ...style,
        display: 'inline-flex',
        alignItems: 'center',
        justifyContent: 'center',
        fontSize: Math.round(size / 2.4),
        background: 'var(--jp-brand-color3)',
        color: 'var(--jp-ui-font-color0)'
      }}
    >
      {initials || '?'}
    </span>
  );
}

export function Tags(props: { tags: unknown }): JSX.Element {
  return (
    <span style={{ display: 'inline-flex', gap: 4, flexWrap: 'wrap' }} data-role="tags">
      {tagNames(props.tags).map(t => (
        <span key={t} data-tag={t} style={{ fontSize: 'var(--jp-ui-font-size0)', padding: '0 6px', borderRadius: 8, border: '1px solid var(--jp-border-color2)', background: 'var(--jp-layout-color2)' }}>
          {t}
        </span>
      ))}
    </span>
  );
}

/** Loaded (can chat now), available (its base exists, not loaded) or unavailable (with the reason). */
export function Availability(props: { model: IModelFile }): JSX.Element {
  const trans = useTrans();
  const m = props.model;
  const [text, color, title] = m.loaded
    ? [trans.__('ready'), 'var(--jp-success-color1)', trans.__('Its base model is loaded: it can chat now')]
    : m.available
      ? [trans.__('base not loaded'), 'var(--jp-warn-color1)', trans.__('Load its base model in the LLM studio to chat')]
      : [trans.__('unavailable'), 'var(--jp-error-color1)', m.unavailable_reason ?? ''];
  return (
    <span data-role="availability" data-available={m.available ? 'true' : 'false'} data-loaded={m.loaded ? 'true' : 'false'} title={title} style={{ color }}>
      ● {text}
    </span>
  );
}
