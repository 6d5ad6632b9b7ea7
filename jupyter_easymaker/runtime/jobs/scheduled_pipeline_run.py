"""Job entry: a run a pipeline schedule's CronJob started (see jupyter_easymaker.runtime.pipelines.fired)."""
import sys

from jupyter_easymaker.runtime.pipelines.fired import main

if __name__ == "__main__":
    sys.exit(main())
