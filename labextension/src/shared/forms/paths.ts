/**
 * Field paths in the server's notation (`algorithm.entry_point`,
 * `datasets[0].path`): a 4xx answer's `field` names one, and the form's
 * inputs carry theirs as their `name`. A generic path (`datasets[].path`)
 * is the key of the guide's labels and hints.
 */

export type PathPart = string | number;

/** `datasets[0].path` -> ['datasets', 0, 'path']. */
export function parsePath(path: string): PathPart[] {
  const parts: PathPart[] = [];
  const re = /([^.[\]]+)|\[(\d*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    parts.push(m[2] !== undefined ? (m[2] === '' ? -1 : Number(m[2])) : m[1]);
  }
  return parts;
}

export function joinPath(parent: string, part: PathPart): string {
  if (typeof part === 'number') {
    return `${parent}[${part < 0 ? '' : part}]`;
  }
  return parent ? `${parent}.${part}` : part;
}

/** `datasets[3].path` -> `datasets[].path`. */
export function genericPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

/**
 * The concrete path of a field from its generic path and the form's id of
 * it (`jp-EasyMaker-f3_datasets_0_path`, the form's prefix then the path
 * joined with `_`): the list indices come from the id. Property names may
 * hold `_` themselves, so the id is read along the generic path.
 */
export function concretePath(generic: string, id: string): string {
  const segments = id.split('_').slice(1);
  let path = '';
  let i = 0;
  for (const part of parsePath(generic)) {
    if (typeof part === 'number') {
      const index = segments[i++];
      path = joinPath(path, /^\d+$/.test(index ?? '') ? Number(index) : -1);
    } else {
      i += part.split('_').length;
      path = joinPath(path, part);
    }
  }
  return path;
}
