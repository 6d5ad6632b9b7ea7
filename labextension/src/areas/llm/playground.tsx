/**
 * The LLM studio's playground: the shared streaming chat against the
 * OpenAI-compatible API of the loaded models (`llm/openai/v1`), with the
 * model picker (RUNNING models; the others shown disabled), side by side,
 * and a prompt template's rendered messages put in as a draft.
 */
import * as React from 'react';

import { ChatSessionModel } from '../../shared/components/chat/chatModel';
import { ChatView } from '../../shared/components/chat/ChatView';
import type { EasyMakerContext } from '../../shared/context';
import { EasyMakerPanel } from '../../shared/panels/base';
import { useTrans } from '../../shared/i18n/react';
import { errorText } from '../../shared/state/listModel';
import { ILlmModel, llmApi } from './api';
import { llmChatLabels } from './chatLabels';
import { LlmCommandIDs } from './commands';
import { modelChoices } from './shaping';
import { LLM_KIND, isServing } from './statuses';

/** A new chat of the LLM studio. */
export function newLlmChat(ctx: EasyMakerContext, model = ''): ChatSessionModel {
  const api = llmApi(ctx);
  return new ChatSessionModel({ fetch: api.fetchUrl, baseUrl: api.openaiBaseUrl(), model });
}

/** The picker's models, re-read on the change events of LLM models. */
export function useLlmModels(ctx: EasyMakerContext): { models: ILlmModel[]; error: string | null; reload(): void } {
  const [models, setModels] = React.useState<ILlmModel[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const reload = React.useCallback(() => {
    llmApi(ctx)
      .list({ limit: 1000, sort: 'name' })
      .then(page => {
        setModels(page.items);
        setError(null);
      })
      .catch(e => setError(errorText(e)));
  }, [ctx]);
  React.useEffect(() => {
    reload();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const onChange = (_: unknown, event: { kind: string; change: string }) => {
      if (event.kind === LLM_KIND && event.change !== 'logs' && timer === null) {
        timer = setTimeout(() => {
          timer = null;
          reload();
        }, 300);
      }
    };
    ctx.feed.changed.connect(onChange);
    return () => {
      ctx.feed.changed.disconnect(onChange);
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [ctx, reload]);
  // a model whose server is starting answers soon: look again until it does
  const starting = models.some(m => m.status === 'RUNNING' && !isServing(m));
  React.useEffect(() => {
    if (!starting) {
      return;
    }
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [starting, reload]);
  return { models, error, reload };
}

export function LlmPlayground(props: { ctx: EasyMakerContext; session: ChatSessionModel; draft?: { text: string; seq: number } | null }): JSX.Element {
  const { ctx, session } = props;
  const trans = useTrans();
  const { models, error, reload } = useLlmModels(ctx);
  const choices = React.useMemo(() => modelChoices(models), [models]);
  return (
    <div className="jp-EasyMaker-overview" data-role="playground">
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      <ChatView
        session={session}
        models={choices}
        labels={llmChatLabels(trans)}
        draft={props.draft}
        onReloadModels={reload}
        notice={
          <div className="jp-EasyMaker-help">
            {trans.__('Models answer once loaded (RUNNING).')}{' '}
            <button type="button" className="jp-EasyMaker-name" data-action="open-templates" onClick={() => void ctx.app.commands.execute(LlmCommandIDs.openTemplates, {})}>
              {trans.__('Prompt templates')}
            </button>
          </div>
        }
      />
    </div>
  );
}

/** The playground as a main-area tab (one for the studio). */
export class LlmPlaygroundPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, model = '') {
    super(ctx);
    this.id = 'jp-EasyMaker-llm-playground';
    this.addClass('jp-EasyMaker-playground');
    this.node.dataset.kind = 'llm-playground';
    this.title.label = ctx.trans.__('LLM playground');
    this.title.closable = true;
    this.session = newLlmChat(ctx, model);
  }

  readonly session: ChatSessionModel;

  /** Put text in the message box (a rendered template), with its system prompt and parameters. */
  setDraft(text: string): void {
    this._draft = { text, seq: (this._draft?.seq ?? 0) + 1 };
    this.update();
  }

  protected renderPanel(): JSX.Element {
    return (
      <div className="jp-EasyMaker-detailBody">
        <div className="jp-EasyMaker-detailHeader">
          <h2 className="jp-EasyMaker-detailTitle">{this.trans.__('LLM playground')}</h2>
        </div>
        <LlmPlayground ctx={this.ctx} session={this.session} draft={this._draft} />
      </div>
    );
  }

  private _draft: { text: string; seq: number } | null = null;
}
