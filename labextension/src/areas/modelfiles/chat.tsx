/**
 * Chat with model files and loaded LLM studio models through the model
 * files' OpenAI-compatible API (`modelfiles/openai/v1`): a model file's
 * system prompt, parameters and knowledge are applied by the server. Its
 * prompt suggestions are chips; the model can change mid-chat, and two can
 * answer side by side.
 */
import * as React from 'react';

import { ChatSessionModel } from '../../shared/components/chat/chatModel';
import { ChatView } from '../../shared/components/chat/ChatView';
import { IChatModelInfo, listModels } from '../../shared/components/chat/openaiStream';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { errorText } from '../../shared/state/listModel';
import { IModelFile, modelFilesApi } from './api';
import { modelFilesChatLabels } from './chatLabels';
import { chatChoices, suggestionTitle, suggestionsOf } from './shaping';

function ModelFilesChat(props: { ctx: EasyMakerContext; session: ChatSessionModel }): JSX.Element {
  const { ctx, session } = props;
  const trans = useTrans();
  const [models, setModels] = React.useState<IChatModelInfo[]>([]);
  const [files, setFiles] = React.useState<IModelFile[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const [, setModel] = React.useState(session.model);
  const reload = React.useCallback(async () => {
    const api = modelFilesApi(ctx);
    try {
      const [m, f] = await Promise.all([listModels(api.fetchUrl, api.openaiBaseUrl()), api.list({ limit: 1000 })]);
      setModels(m);
      setFiles(f.items);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [ctx]);
  React.useEffect(() => {
    void reload();
    const slot = (_: unknown, event: { kind: string; change: string }) => {
      if ((event.kind === 'model file' || event.kind === 'llm model') && event.change !== 'logs') {
        void reload();
      }
    };
    ctx.feed.changed.connect(slot);
    const onSession = () => setModel(session.model);
    session.changed.connect(onSession);
    return () => {
      ctx.feed.changed.disconnect(slot);
      session.changed.disconnect(onSession);
    };
  }, [ctx, reload, session]);
  const choices = React.useMemo(() => chatChoices(models, files), [models, files]);
  const chosen = files.find(f => f.id === session.model);
  const suggestions = suggestionsOf(chosen?.meta?.suggestion_prompts).map(s => ({ title: suggestionTitle(s), content: s.content }));
  return (
    <div className="jp-EasyMaker-overview" data-role="modelfiles-chat">
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      <ChatView
        session={session}
        models={choices}
        labels={modelFilesChatLabels(trans)}
        suggestions={suggestions}
        onReloadModels={() => void reload()}
        notice={
          chosen ? (
            <div className="jp-EasyMaker-help" data-role="chosen-modelfile">
              {chosen.name} · {trans.__('base model')} <code>{chosen.base_model_id ?? chosen.id}</code>
              {chosen.params?.system ? ` · ${trans.__('its system prompt applies unless you give one')}` : ''}
            </div>
          ) : null
        }
      />
    </div>
  );
}

export class ModelFilesChatPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, model = '') {
    super(ctx);
    this.id = 'jp-EasyMaker-modelfiles-chat';
    this.node.dataset.kind = 'modelfiles-chat';
    this.title.label = ctx.trans.__('Model files chat');
    this.title.closable = true;
    const api = modelFilesApi(ctx);
    // the model file's own parameters are its defaults: the chat sends none until the user sets them
    this.session = new ChatSessionModel({ fetch: api.fetchUrl, baseUrl: api.openaiBaseUrl(), model, settings: { temperature: null, top_p: null, max_tokens: null } });
  }

  readonly session: ChatSessionModel;

  protected renderPanel(): JSX.Element {
    return (
      <div className="jp-EasyMaker-detailBody">
        <div className="jp-EasyMaker-detailHeader">
          <h2 className="jp-EasyMaker-detailTitle">{this.trans.__('Model files chat')}</h2>
        </div>
        <ModelFilesChat ctx={this.ctx} session={this.session} />
      </div>
    );
  }
}
