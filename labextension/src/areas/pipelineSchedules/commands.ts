/** Command ids of the pipeline schedules area. */
export namespace ScheduleCommandIDs {
  export const openSchedules = 'easymaker:open-pipeline-schedules';
  /** args: { pipeline?: string (name or id), copyFrom?: string (a schedule's id) } */
  export const createSchedule = 'easymaker:create-pipeline-schedule';
  /** args: { id: string, tab?: string } */
  export const openSchedule = 'easymaker:open-pipeline-schedule';
}
