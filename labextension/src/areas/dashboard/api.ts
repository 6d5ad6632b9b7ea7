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
      core_type?: string;
      cpu: number;
      gpu: number;
      memory_mib?: number;
      running: number;
      by_kind?: Record<string, number>;
    }[];
    cpu?: { used: number; total: number };
    gpu?: { used: number; total: number };
    resources?: IHeldResource[];
    top_by_core_type?: (IHeldResource & { metric: string; value: number })[];
  };
}

/** One running resource and its latest measured usage. */
export interface IHeldResource {
  kind: string;
  id: string;
  name: string;
  instance_type: string;
  units: number;
  core_type: string;
  backend: string;
  sampled: boolean;
  cpu_percent: number;
  memory_bytes: number;
  gpu_percent: number | null;
  sampled_at: string | null;
}

export function fetchDashboard(client: ApiClient): Promise<IDashboard> {
  return client.get<IDashboard>('dashboard');
}
