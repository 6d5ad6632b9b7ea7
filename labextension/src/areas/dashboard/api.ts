import type { ApiClient } from '../../shared/api/client';

export interface IDashboard {
  counts: {
    active_notebooks?: number;
    complete_trainings?: number;
    running_trainings?: number;
    failed_trainings?: number;
    complete_hpo?: number;
    active_endpoints?: number;
    [key: string]: number | undefined;
  };
  top_endpoints: {
    name: string;
    calls?: number;
    stages?: { name: string; success?: number; failure?: number }[];
    [key: string]: unknown;
  }[];
  resource_usage: {
    backends?: unknown;
    by_instance_type?: {
      instance_type: string;
      cpu: number;
      gpu: number;
      running: number;
    }[];
    cpu?: { used: number; total: number };
    gpu?: { used: number; total: number };
  };
}

export function fetchDashboard(client: ApiClient): Promise<IDashboard> {
  return client.get<IDashboard>('dashboard');
}
