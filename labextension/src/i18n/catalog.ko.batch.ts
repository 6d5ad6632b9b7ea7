/** Korean labels of the batch area's panels (msgid = the English label). */
export const KO_BATCH: { [msgid: string]: string } = {
};
