/** Layout of the LLM studio's create forms: register a base model, start a fine-tuning. */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const REGISTER_FORM: IFormHints = {
  schema: 'LlmModelCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description', 'kind'] },
    { id: 'source', title: N_('Model source'), fields: ['path', 'hf_id', 'revision', 'token'] },
    { id: 'additional', title: N_('Additional settings'), fields: ['context_length'] }
  ],
  labels: {
    name: N_('Model name'),
    description: N_('Model description'),
    kind: N_('Kind'),
    path: N_('Path (folder or .gguf file)'),
    hf_id: N_('Hugging Face id'),
    revision: N_('Revision'),
    token: N_('Hugging Face token'),
    context_length: N_('Context length')
  },
  help: {
    kind: N_('foundation, instruction (chat), embedding or safety (a classifier).'),
    path: N_('A Hugging Face folder (safetensors) or a .gguf file on this server. Give a path or a Hugging Face id.'),
    hf_id: N_('e.g. HuggingFaceTB/SmolLM2-135M-Instruct; downloaded when the model is first loaded.'),
    token: N_('For gated models; stored encrypted and never shown again.'),
    context_length: N_('Read from the model config when empty.')
  },
  variants: {},
  passwords: ['token'],
  hidden: []
};

export const FINETUNE_FORM: IFormHints = {
  schema: 'FinetuneCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description', 'base_model'] },
    { id: 'data', title: N_('Training data'), fields: ['data_path', 'validation_path', 'validation_split'] },
    { id: 'method', title: N_('Method'), fields: ['method', 'lora'] },
    { id: 'training', title: N_('Training settings'), fields: ['training'] },
    { id: 'resources', title: N_('Resources'), fields: ['instance_type', 'backend'] },
    { id: 'additional', title: N_('Additional settings'), fields: ['max_run_seconds'] }
  ],
  labels: {
    name: N_('Fine-tuned model name'),
    description: N_('Model description'),
    base_model: N_('Base model'),
    data_path: N_('Training data (JSONL)'),
    validation_path: N_('Validation data (JSONL)'),
    validation_split: N_('Validation split'),
    method: N_('Method'),
    lora: N_('LoRA'),
    'lora.r': N_('Rank (r)'),
    'lora.alpha': N_('Alpha'),
    'lora.dropout': N_('Dropout'),
    'lora.target_modules': N_('Target modules'),
    training: N_('Training settings'),
    'training.epochs': N_('Epochs'),
    'training.max_steps': N_('Max steps'),
    'training.learning_rate': N_('Learning rate'),
    'training.batch_size': N_('Batch size'),
    'training.gradient_accumulation_steps': N_('Gradient accumulation steps'),
    'training.max_seq_length': N_('Max sequence length'),
    'training.warmup_ratio': N_('Warmup ratio'),
    'training.lr_scheduler': N_('Learning rate scheduler'),
    'training.weight_decay': N_('Weight decay'),
    'training.seed': N_('Seed'),
    'training.eval_steps': N_('Evaluate every (steps)'),
    'training.checkpoint_steps': N_('Checkpoint every (steps)'),
    instance_type: N_('Instance type'),
    backend: N_('Backend'),
    max_run_seconds: N_('Maximum fine-tuning time (seconds)')
  },
  help: {
    base_model: N_('A registered LLM studio model (not one being trained).'),
    data_path: N_('One JSON object a line: {"messages": [{"role", "content"}, ...]} or {"prompt", "response"}.'),
    validation_split: N_('Share of the training data held out when no validation file is given (e.g. 0.1).'),
    method: N_('lora, or qlora (4-bit; needs a CUDA GPU and bitsandbytes).'),
    'lora.target_modules': N_('Module names separated by commas (q_proj, v_proj, ...), or all-linear. Empty: q_proj, v_proj.'),
    'training.max_steps': N_('Stops after this many steps (the epochs otherwise).')
  },
  variants: {},
  hidden: []
};

/** The fine-tuning body as the server takes it: target modules typed as text become a list (or `all-linear`). */
export function finetuneBody(body: Record<string, unknown>): Record<string, unknown> {
  const lora = body.lora as { target_modules?: unknown } | undefined;
  if (lora && typeof lora.target_modules === 'string') {
    const text = lora.target_modules.trim();
    const modules = text === 'all-linear' ? 'all-linear' : text.split(/[\s,]+/).filter(Boolean);
    const next = { ...lora } as Record<string, unknown>;
    if (Array.isArray(modules) && !modules.length) {
      delete next.target_modules;
    } else {
      next.target_modules = modules;
    }
    return { ...body, lora: next };
  }
  return body;
}
