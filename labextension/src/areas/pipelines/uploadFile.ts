/**
 * What the upload dialog checks and suggests before the file is sent (pure,
 * so it is unit-tested): the file's suffix and size, a resource name from
 * the compiled pipeline's name or the file's, and where the server's
 * refusal is shown.
 */
import { N_ } from '../../shared/i18n';

export const PIPELINE_SUFFIXES = ['.yaml', '.yml', '.json', '.zip'];
/** The server reads at most this much (a larger file is refused there too). */
export const MAX_PIPELINE_BYTES = 20 * 1024 * 1024;

/** A resource name from a pipeline's name or file name (letters, digits, - and _). */
export function suggestedName(text: string): string {
  const base = text.replace(/\.(ya?ml|json|zip)$/i, '');
  return base
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
}

/** The `# Name: ...` header the KFP compiler writes at the top of its YAML. */
export function compiledName(text: string): string | null {
  const header = /^# Name: *(\S.*)$/m.exec(text.slice(0, 2000));
  return header ? header[1].trim() : null;
}

/** What is wrong with the chosen file before it is sent, as a msgid (or null). */
export function fileProblem(file: { name: string; size: number } | null): string | null {
  if (!file) {
    return N_('Choose a pipeline file (.yaml, .yml, .json or .zip)');
  }
  if (!PIPELINE_SUFFIXES.some(s => file.name.toLowerCase().endsWith(s))) {
    return N_('A pipeline file ends in .yaml, .yml, .json or .zip');
  }
  if (file.size === 0) {
    return N_('The file is empty');
  }
  if (file.size > MAX_PIPELINE_BYTES) {
    return N_('The file is larger than 20 MB');
  }
  return null;
}

/** Where a server refusal is shown: its field when the dialog has it, else under the file. */
export function uploadErrorField(field: string | null | undefined): 'name' | 'description' | 'file' {
  return field === 'name' || field === 'description' ? field : 'file';
}
