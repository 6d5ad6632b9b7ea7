/** TensorBoard of a training, embedded in a tab through the authenticated proxy. */
import { Api, createTraining, expect, openArea, shot, test, trainingDetail, uniqueName } from './helpers';

test('open TensorBoard from a training and see its scalars', async ({ page, request }) => {
  const api = new Api(request);
  const info = await api.get('');
  test.skip(!info.capabilities.tensorboard, 'the server cannot start TensorBoard (the [ml] extra is missing)');
  const name = uniqueName('tb');
  const t = await createTraining(api, name, uniqueName('exp-tb'), { steps: '5', sleep: '0.05' });
  await api.waitStatus(t.id, ['COMPLETE']);
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill(name);
  await panel.locator(`.jp-EasyMaker-row[data-name="${name}"] [data-role="open"]`).click();
  const detail = trainingDetail(page, name);
  await detail.locator('button[data-action="tensorboard"]').click();
  const tab = page.locator('.jp-EasyMaker-tensorboard');
  await expect(tab).toBeVisible();
  // the proxied URL lives under the server's (non-default) base URL
  await expect(tab).toHaveAttribute('data-url', /\/easymaker-ui\/easymaker\/tensorboard\/[^/]+\/$/, { timeout: 60_000 });
  const frame = page.frameLocator('.jp-EasyMaker-tensorboard iframe');
  await expect(frame.getByText('loss', { exact: true }).first()).toBeVisible({ timeout: 60_000 });
  await expect(frame.getByText('accuracy', { exact: true }).first()).toBeVisible();
  await expect(frame.locator('body')).toContainText(/scalars/i);
  await page.waitForTimeout(1500); // let the charts draw for the screenshot
  await shot(page, 'tensorboard');
});
