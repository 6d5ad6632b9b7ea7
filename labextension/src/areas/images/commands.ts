/** Command ids of the images area. */
export namespace ImageCommandIDs {
  export const openImages = 'easymaker:open-images';
  export const createImage = 'easymaker:create-image';
  /** args: { id: string, tab?: string } (a private image's id, or a base image's) */
  export const openImage = 'easymaker:open-image';
  export const openBaseImages = 'easymaker:open-base-images';
}
