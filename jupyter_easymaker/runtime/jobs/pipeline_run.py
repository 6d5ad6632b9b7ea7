"""Job entry: a pipeline run (see jupyter_easymaker.runtime.pipelines.executor)."""
import sys

from jupyter_easymaker.runtime.pipelines.executor import main

if __name__ == "__main__":
    sys.exit(main())
