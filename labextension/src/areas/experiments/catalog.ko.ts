/** Korean labels of the experiments area (msgid = the English label). */

export const KO: { readonly [msgid: string]: string } = {
  '+ New experiment…': '+ 새 실험 추가…',
  'New experiment name': '새 실험 이름',
  'Copy experiment': '실험 복사',
  'Create experiment': '실험 생성',
  'Create Experiment': '실험 생성',
  'Experiment description': '실험 설명',
  'Experiment name': '실험 이름',
  experiments: '실험',
  Experiments: '실험',
  'Experiments being created cannot be deleted': '생성 중인 실험은 삭제할 수 없습니다',
  'No experiments yet. Create one with "Create experiment".': '실험이 없습니다. "실험 생성"으로 실험을 만드세요.',
  'Open Experiment': '실험 열기',
  'Open Experiments': '실험 열기',
  'Retry failed': '재시도 실패',
  'Retry the creation of failed experiments': '생성에 실패한 실험을 다시 시도합니다',
};
