/** What `pool.health` reports: enough to tell "degraded" from "down" and to say why. */
export interface PoolHealth {
  /** At least one worker takes calls. */
  healthy: boolean;
  workers: number;
  ready: number;
  starting: number;
  draining: number;
  /** Failed starts (or early deaths) in a row; back to 0 once a worker has served a while. */
  failuresInARow: number;
  lastError: Error | undefined;
}
