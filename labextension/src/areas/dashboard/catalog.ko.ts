/** Korean labels of the dashboard area (msgid = the English label). */

export const KO: { readonly [msgid: string]: string } = {
  'Active endpoints': '엔드포인트 (ACTIVE)',
  'Active notebooks': '노트북 (ACTIVE)',
  'Complete hyperparameter tunings': '완료된 하이퍼파라미터 튜닝',
  'Complete trainings': '완료된 학습',
  cores: '코어',
  CPU: 'CPU',
  'CPU in use': '사용 중인 CPU',
  Dashboard: '대시보드',
  'Failed trainings': '실패한 학습',
  GPU: 'GPU',
  'GPU in use': '사용 중인 GPU',
  'No endpoint has served API calls yet.': '아직 API 호출을 처리한 엔드포인트가 없습니다.',
  'Open EasyMaker Dashboard': 'EasyMaker 대시보드 열기',
  'Resource usage': '리소스 사용률',
  'Running jobs': '실행 중인 작업',
  'Running trainings': '진행 중인 학습',
  'Service monitoring': '서비스 모니터링',
  'Service usage': '서비스 이용 현황',
  'Success / failure by stage': '스테이지별 성공 / 실패',
  'The dashboard could not be loaded: %1': '대시보드를 불러올 수 없습니다: %1',
};
