/** Korean labels of the registry accounts area (msgid = the English label), in the guide's words. */

export const KO: { readonly [msgid: string]: string } = {
  '%1: ID and password changed': '%1: 아이디와 비밀번호를 변경했습니다',
  '%1 changed': '%1 변경됨',
  Change: '변경',
  'Change failed': '변경 실패',
  'Change registry account': '레지스트리 계정 수정',
  'Change registry account name and description': '레지스트리 계정 이름, 설명 변경',
  'Change registry ID and password': '레지스트리 아이디, 비밀번호 수정',
  'Change the name and description': '이름과 설명을 변경합니다',
  'Change the registry ID and password': '아이디와 비밀번호를 새로 입력합니다',
  'Create registry account': '레지스트리 계정 생성',
  'Create Registry Account': '레지스트리 계정 생성',
  'If resources are being created with private images of this account, or trainings and hyperparameter tunings using them are running, changing the ID and password can cause problems. Pulling the images again uses the new ID and password; a wrong one makes the pull fail.':
    '레지스트리 계정이 연동된 개인 이미지로 생성 중인 리소스가 있거나 수행 중인 학습 및 하이퍼파라미터 튜닝이 있을 경우에 아이디와 비밀번호를 수정하는 경우 문제가 생길 수 있습니다. 이미지를 다시 가져올 때 변경된 아이디와 비밀번호를 사용하며, 잘못 입력하면 이미지 Pull 중 인증에 실패합니다.',
  Images: '이미지',
  'NCR: NHN Cloud Container Registry; DOCKER_HUB: Docker Hub; OTHER: any registry reachable from the cluster.':
    'NCR: NHN Container Registry, DOCKER_HUB: Docker Hub, OTHER: 클러스터에서 접근할 수 있는 기타 레지스트리',
  'NCR: the User Access Key of the NHN Cloud user account.': 'NCR: NHN Cloud 사용자 계정의 User Access Key',
  'NCR: the User Secret Key. Stored encrypted and never shown again.': 'NCR: NHN Cloud 사용자 계정의 User Secret Key. 암호화하여 저장하며 다시 표시하지 않습니다.',
  'No registry accounts yet. Create one here or from the image form.': '레지스트리 계정이 없습니다. 여기에서 또는 이미지 생성 화면에서 만드세요.',
  'Open Registry Account': '레지스트리 계정 열기',
  'Open Registry Accounts': '레지스트리 계정 열기',
  Registry: '레지스트리',
  'Registry account': '레지스트리 계정',
  'Registry account description': '레지스트리 계정 설명',
  'Registry account name': '레지스트리 계정 이름',
  'Registry accounts': '레지스트리 계정',
  'registry accounts': '레지스트리 계정',
  'Registry address': '레지스트리 주소',
  'Registry ID': '아이디',
  'Registry password': '비밀번호',
  'Registry type': '분류',
  'The registry host, e.g. example-kr1-registry.container.nhncloud.com (Docker Hub needs none).':
    '레지스트리 주소(예: example-kr1-registry.container.nhncloud.com). Docker Hub는 입력하지 않습니다.'
};
