/** Korean labels of the log search area (msgid = the English label). */

export const KO: { readonly [msgid: string]: string } = {
  'e.g. category:"easymaker.training" AND logLevel:ERROR': '예: category:"easymaker.training" AND logLevel:ERROR',
  All: '전체',
  Body: '본문',
  Category: '카테고리',
  From: '시작',
  Level: '로그 레벨',
  'No log record matches.': '조건에 맞는 로그가 없습니다.',
  Older: '이전 로그',
  'Open EasyMaker Logs': 'EasyMaker 로그 열기',
  Query: '검색 조건',
  Resource: '리소스',
  Search: '검색',
  'Search the logs of every job': '모든 작업의 로그 검색',
  'The logs could not be searched: %1': '로그를 검색할 수 없습니다: %1',
  To: '종료'
};
