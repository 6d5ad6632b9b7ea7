/** Layout of the create form of a model (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const MODEL_FORM: IFormHints = {
  schema: 'ModelCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'source', title: N_('Model source'), fields: ['training_id', 'hyperparameter_tuning_id', 'artifact_path', 'huggingface_model_id', 'huggingface_token'] },
    { id: 'framework', title: N_('Framework'), fields: ['framework', 'framework_version', 'parameters', 'validate_artifact'] }
  ],
  labels: {
    name: N_('Model name'),
    description: N_('Model description'),
    training_id: N_('Training'),
    hyperparameter_tuning_id: N_('Hyperparameter tuning (best trial)'),
    artifact_path: N_('Model artifact path'),
    huggingface_model_id: N_('Hugging Face model id'),
    huggingface_token: N_('Hugging Face token'),
    framework: N_('Framework'),
    framework_version: N_('Framework version'),
    parameters: N_('Parameters'),
    validate_artifact: N_('Check the artifact')
  },
  help: {
    training_id: N_('A COMPLETE training: its model directory becomes the artifact. Leave empty to give a path or a Hugging Face model id.'),
    artifact_path: N_('Local path, file://, nas://{NAS ID}:/{path} or obs://{endpoint}/{container}/{path}.'),
    huggingface_token: N_('Only for gated models; stored encrypted and shown masked.'),
    parameters: N_('Passed to the model server. compile=false serves a scikit-learn model with scikit-learn instead of ONNX Runtime.')
  },
  hidden: []
};
