/** The chat component's labels in the user's language (the LLM studio's playground). */
import type { IChatLabels } from '../../shared/components/chat/ChatView';
import type { ITrans } from '../../shared/i18n';

export function llmChatLabels(trans: ITrans): IChatLabels {
  return {
    model: trans.__('Model'),
    compare: trans.__('Side by side with'),
    off: trans.__('(off)'),
    system: trans.__('System prompt'),
    systemPlaceholder: trans.__('You are a helpful assistant.'),
    temperature: trans.__('Temperature'),
    topP: trans.__('Top P'),
    maxTokens: trans.__('Max tokens'),
    stop: trans.__('Stop sequences'),
    stopHelp: trans.__('One per line (\\n for a line break)'),
    seed: trans.__('Seed'),
    message: trans.__('Message'),
    messagePlaceholder: trans.__('Write a message (Enter sends, Shift+Enter adds a line)'),
    send: trans.__('Send'),
    sending: trans.__('Sending…'),
    stopAnswer: trans.__('Stop'),
    clear: trans.__('Clear'),
    you: trans.__('You'),
    writing: trans.__('writing…'),
    noModel: trans.__('No model is loaded: load one (RUNNING) to chat with it.'),
    suggestions: trans.__('Suggestions'),
    settings: trans.__('Settings'),
    reload: trans.__('Reload models'),
    firstToken: trans.__('first token')
  };
}
