/** JupyterLab switched to Korean: the extension's labels are Korean. */
import { galata } from '@jupyterlab/galata';

import { expect, openArea, openSidebar, shot, test } from './helpers';

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/translation-extension:plugin': { locale: 'ko_KR' }
  }
});

test('switch to Korean and see Korean labels', async ({ page }) => {
  const sidebar = await openSidebar(page);
  await expect(sidebar.locator('button[data-area="trainings"]')).toHaveText('학습');
  await expect(sidebar.locator('button[data-area="experiments"]')).toHaveText('실험');
  await expect(sidebar.locator('button[data-area="training-templates"]')).toHaveText('학습 템플릿');
  await expect(sidebar.locator('button[data-area="dashboard"]')).toHaveText('대시보드');
  await shot(page, 'korean-sidebar');
  const panel = await openArea(page, 'trainings');
  await expect(panel.locator('button[data-action="create"]')).toHaveText('학습 생성');
  await expect(panel.locator('[data-column="status"]').first()).toHaveText(/상태/);
  await expect(panel.locator('[data-column="elapsed"]').first()).toHaveText('학습 시간');
  await shot(page, 'korean-trainings');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="training"]');
  await expect(form.locator('legend').first()).toHaveText('기본 정보');
  await expect(form).toContainText('엔트리 포인트');
  await expect(form).toContainText('알고리즘 정보');
  await shot(page, 'korean-training-form');
});
