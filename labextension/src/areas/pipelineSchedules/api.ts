/**
 * Pipeline schedules (`pipeline-schedules`): runs of a pipeline started on
 * an interval or a 6-field cron trigger. Shapes follow the area's schemas on
 * the server (PipelineScheduleOut, PipelineScheduleCreate).
 */
import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IResource, IStatusEvent } from '../../shared/api/types';

export type IntervalUnit = 'minutes' | 'hours' | 'days' | 'weeks';

export type ITrigger = { type: 'interval'; every: number; unit: IntervalUnit } | { type: 'cron'; expression: string };

export interface IPipelineSchedule extends IResource {
  pipeline_id: string;
  pipeline_name: string;
  experiment_id: string;
  experiment_name?: string | null;
  trigger: ITrigger;
  /** The trigger in words: 'every 5 minutes', "cron '0 0 * * * *'". */
  trigger_text: string;
  max_concurrency: number;
  catch_up: boolean;
  start_at?: string | null;
  end_at?: string | null;
  parameters: { [name: string]: unknown };
  instance_type: string;
  instance_count: number;
  boot_storage_gb?: number | null;
  nas: { mount_dir_name: string; nas_path: string }[];
  log_management: boolean;
  cache: boolean;
  max_run_seconds?: number | null;
  backend?: string | null;
  last_scheduled_at?: string | null;
  last_run_name?: string | null;
  next_run_at?: string | null;
  run_count: number;
  active_runs: number;
  skipped_count: number;
  last_error?: string | null;
  /** who starts its runs: the server's timer, or its CronJob / KFP recurring run (which fire while the server is down) */
  fired_by: string;
  history?: IStatusEvent[] | null;
}

export class PipelineSchedulesApi extends ResourceApi<IPipelineSchedule> {
  constructor(client: ApiClient) {
    super(client, 'pipeline-schedules', 'pipeline schedule');
  }

  /** Start a disabled schedule. */
  enable(ref: string): Promise<IPipelineSchedule> {
    return this.client.post<IPipelineSchedule>(`${this.item(ref)}/enable`);
  }

  /** Stop a schedule (its running runs go on). */
  disable(ref: string): Promise<IPipelineSchedule> {
    return this.client.post<IPipelineSchedule>(`${this.item(ref)}/disable`);
  }
}

/** The pipeline schedules API over the context's client. */
export const pipelineSchedulesApi = familyApi(client => new PipelineSchedulesApi(client));
