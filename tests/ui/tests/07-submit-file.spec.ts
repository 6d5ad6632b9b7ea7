/** "Submit as training" in the file browser's context menu. */
import { Api, expect, shot, test, trainingDetail } from './helpers';

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
  const t = await new Api(request).waitStatus(name, ['COMPLETE'], 60_000);
  expect(t.experiment_name).toBe('from-files');
  await expect(detail.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'COMPLETE');
});
