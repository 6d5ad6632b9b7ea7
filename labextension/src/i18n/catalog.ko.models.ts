/** Korean labels of the models area's panels (msgid = the English label). */
export const KO_MODELS: { [msgid: string]: string } = {
};
