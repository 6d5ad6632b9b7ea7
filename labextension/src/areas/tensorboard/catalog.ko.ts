/** Korean labels of the tensorboard area (msgid = the English label). */

export const KO: { readonly [msgid: string]: string } = {
  'Starting TensorBoard…': '텐서보드를 시작하는 중…',
  'TensorBoard could not be opened': '텐서보드를 열 수 없습니다',
  'TensorBoard could not be started: %1': '텐서보드를 시작할 수 없습니다: %1',
  'TensorBoard did not answer at %1': '텐서보드가 응답하지 않습니다: %1',
  'TensorBoard: %1': '텐서보드: %1',
};
