/** The pure parts of the log search panel: the query it sends and its times. */

/** The query the box and the quick filters ask for together. */
export function composeQuery(text: string, level: string, category: string): string {
  const parts = [text.trim() ? (level || category ? `(${text.trim()})` : text.trim()) : ''];
  if (level) {
    parts.push(`logLevel:${level}`);
  }
  if (category) {
    parts.push(`category:"${category}"`);
  }
  return parts.filter(Boolean).join(' AND ');
}

/** `datetime-local` input value (local time) -> ISO 8601 in UTC, or undefined. */
export function localToIso(value: string): string | undefined {
  if (!value) {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
