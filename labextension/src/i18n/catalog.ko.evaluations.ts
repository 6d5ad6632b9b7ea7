/** Korean labels of the evaluations area's panels (msgid = the English label). */
export const KO_EVALUATIONS: { [msgid: string]: string } = {
};
