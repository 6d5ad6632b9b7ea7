/**
 * Images and registry accounts: a private image created from the form with a
 * new registry account filled in inline (the password field masked), the
 * image listed with its account, the account listed with its password
 * masked, and its deletion refused while the image uses it (the server's
 * reason in the notification, the account kept); then the base images with
 * whether this server runs each.
 *
 * The server side it needs: the `images` and `registry-accounts` areas
 * (REST under easymaker/api/v1/images, images/base, registry-accounts).
 */
import type { APIRequestContext } from '@playwright/test';

import { Api, expect, openArea, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);

const HOST = 'example-kr1-registry.container.nhncloud.com';
const image = uniqueName('img');
const account = uniqueName('ncr');
const PASSWORD = 'ui-Secret-Key-4711';

function url(p: string): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${s.base_url}easymaker/api/v1/${p}`;
}

test.afterAll(async ({ request }: { request: APIRequestContext }) => {
  await request.delete(url(`images/${image}`));
  await request.delete(url(`registry-accounts/${account}`));
});

test('an image with a new registry account created inline from the form', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'images');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="image"]');
  await expect(form).toBeVisible();
  await form.locator('input[name="name"]').fill(image);
  await form.locator('input[name="address"]').fill(`${HOST}/registry/${image}:v1`);
  await form.locator('select[name="image_type"]').selectOption('TRAINING');
  // 계정: 신규 사용
  await form.locator('input[name="account.mode"][value="new"]').check();
  await form.locator('input[name="registry_account.name"]').fill(account);
  await form.locator('select[name="registry_account.registry_type"]').selectOption('NCR');
  await form.locator('input[name="registry_account.registry_address"]').fill(HOST);
  await form.locator('input[name="registry_account.username"]').fill('AK-ui');
  const password = form.locator('input[name="registry_account.password"]');
  await expect(password).toHaveAttribute('type', 'password');
  await password.fill(PASSWORD);
  await shot(page, 'image-form-new-account');
  await form.locator('button[data-action="submit"]').click();

  const detail = page.locator('.jp-EasyMaker-detail', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: image }) });
  await expect(detail).toBeVisible({ timeout: 30_000 });
  await expect(detail).toContainText(account);

  const created = await api.get(`images/${image}`);
  expect(created.registry_account_name).toBe(account);
  expect(created.image_type).toBe('TRAINING');
  const stored = await api.get(`registry-accounts/${account}`);
  expect(stored.password).toBe('********');
  expect(JSON.stringify(stored)).not.toContain(PASSWORD);

  // the image is listed with its account
  const images = await openArea(page, 'images');
  const row = images.locator(`.jp-EasyMaker-row[data-name="${image}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(account);
  await shot(page, 'images-list');
});

test('deleting a registry account an image uses is refused', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'registry-accounts');
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${account}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(image);
  await expect(row).not.toContainText(PASSWORD);
  await row.click();
  await panel.locator('button[data-action="delete"]').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(account);
  await dialog.locator('button.jp-mod-warn').click();
  // the server's refusal names the image, and the account stays
  await expect(page.locator('.jp-toast-container, .Toastify')).toContainText(image, { timeout: 15_000 });
  await shot(page, 'registry-account-delete-refused');
  await expect(row).toBeVisible();
  expect((await api.get(`registry-accounts/${account}`)).name).toBe(account);
});

test('the base images say whether this server runs them', async ({ page, request }) => {
  const api = new Api(request);
  const base = (await api.get('images/base')).items;
  expect(base).toHaveLength(10);
  const panel = await openArea(page, 'images');
  await panel.locator('button[data-action="base"]').click();
  const table = page.locator('.jp-Dialog [data-role="base-images"]');
  await expect(table.locator('tbody tr')).toHaveCount(10);
  const python = base.find((i: any) => i.framework === 'PYTHON' && i.image_type === 'NOTEBOOK' && i.core_type === 'CPU');
  await expect(table.locator(`tr[data-image="${python.id}"]`)).toContainText('Available');
  await shot(page, 'base-images');
  await page.locator('.jp-Dialog button.jp-mod-accept').click();
});
