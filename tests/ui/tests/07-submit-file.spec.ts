/** "Submit as training" in the file browser's context menu. */
import { Api, createTraining, expect, shot, test, trainingDetail, uniqueName } from './helpers';

test('submit a .py file as a training from the context menu', async ({ page, request }) => {
  await page.filebrowser.openDirectory('/work');
  const item = page.locator('.jp-DirListing-item[data-file-type="python"]', { hasText: 'submit_me.py' });
  await expect(item).toBeVisible();
  await item.click({ button: 'right' });
  const entry = page.locator('.lm-Menu-item', { hasText: 'Submit as Training' });
  await expect(entry).toBeVisible();
  await shot(page, 'submit-context-menu');
  await entry.click();
  const dialog = page.locator('.jp-Dialog');
  const nameInput = dialog.locator('input[name="name"]');
  await expect(nameInput).toHaveValue(/^submit_me-/);
  const name = await nameInput.inputValue();
  await dialog.locator('input[name="experiment_name"]').fill('from-files');
  await shot(page, 'submit-dialog');
  await dialog.locator('button.jp-mod-accept').click();
  const detail = trainingDetail(page, name);
  await expect(detail).toBeVisible();
  await expect(detail.locator('.jp-EasyMaker-logLine', { hasText: 'step 1:' })).toBeVisible({ timeout: 30_000 });
  await expect(detail.locator('button[data-tab="logs"]')).toHaveAttribute('aria-selected', 'true');
  const t = await new Api(request).waitStatus(name, ['COMPLETE'], 60_000);
  expect(t.experiment_name).toBe('from-files');
  await expect(detail.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'COMPLETE');
});

test('a detail tab opened on a given tab before its resource is read', async ({ page, request }) => {
  const training = await createTraining(new Api(request), uniqueName('tab-first'), 'from-files');
  // what "Submit as training" does: open the new training's tab on its logs at once
  const thrown = await page.evaluate(async id => {
    try {
      await (window as any).jupyterEasyMaker.ctx.app.commands.execute('easymaker:open-training', { id, tab: 'logs' });
      return '';
    } catch (error) {
      return String(error);
    }
  }, training.id);
  expect(thrown).toBe('');
  const detail = trainingDetail(page, training.name);
  await expect(detail.locator('button[data-tab="logs"]')).toHaveAttribute('aria-selected', 'true');
});
