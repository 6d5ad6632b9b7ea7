import type { ApiClient } from './client';
import type { IDashboard } from './types';

export function fetchDashboard(client: ApiClient): Promise<IDashboard> {
  return client.get<IDashboard>('dashboard');
}
