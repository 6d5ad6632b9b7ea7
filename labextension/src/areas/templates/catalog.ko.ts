/** Korean labels of the templates area (msgid = the English label). */

export const KO: { readonly [msgid: string]: string } = {
  'All fields': '전체 설정',
  'Copy training template': '학습 템플릿 복사',
  'Create a training from this template': '이 템플릿으로 학습 생성',
  'Create template': '학습 템플릿 생성',
  'Create training template': '학습 템플릿 생성',
  'Edit training template': '학습 템플릿 편집',
  'Save training template': '학습 템플릿 저장',
  'Create Training Template': '학습 템플릿 생성',
  'No templates yet. Create one with "Create template" or save a training as a template.': '학습 템플릿이 없습니다. "학습 템플릿 생성"으로 만들거나 학습을 템플릿으로 저장하세요.',
  'Open Training Template': '학습 템플릿 열기',
  'Open Training Templates': '학습 템플릿 열기',
  'Save as template failed': '템플릿 저장 실패',
  Template: '학습 템플릿',
  'Template description': '학습 템플릿 설명',
  'Template name': '학습 템플릿 이름',
  templates: '학습 템플릿',
  Templates: '학습 템플릿',
};
