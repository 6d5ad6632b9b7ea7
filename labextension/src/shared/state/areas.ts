/**
 * Which areas the sidebar lists. The areas come from the one list of areas
 * (`areas/index.ts`, in the console guide's order); an area is listed only
 * when the server names it in `capabilities.areas` (under its id or an
 * alias) and a panel is registered for it.
 */

export interface IAreaInfo {
  /** Equal to the server's capability string. */
  id: string;
  /** English label (a msgid of the translation catalog); no sidebar entry without one. */
  label?: string;
  /** Other capability strings that also enable this area. */
  aliases?: readonly string[];
}

/** The area id an alias stands for (`templates` -> `training-templates`). */
export function canonicalArea(areas: readonly IAreaInfo[], id: string): string {
  return areas.find(a => a.id === id || (a.aliases ?? []).includes(id))?.id ?? id;
}

/** The server offers the area (under its id or an alias). */
export function offered(areas: readonly IAreaInfo[], serverAreas: readonly string[] | undefined, id: string): boolean {
  if (!serverAreas) {
    return false;
  }
  const area = areas.find(a => a.id === canonicalArea(areas, id));
  const names = [id, ...(area ? [area.id, ...(area.aliases ?? [])] : [])];
  return names.some(n => serverAreas.includes(n));
}

/** The areas to list: labelled, offered by the server and with a panel. */
export function visibleAreas(
  areas: readonly IAreaInfo[],
  serverAreas: readonly string[] | undefined,
  hasPanel: (id: string) => boolean
): IAreaInfo[] {
  return areas.filter(a => !!a.label && offered(areas, serverAreas, a.id) && hasPanel(a.id));
}
