"""Job entry: model evaluation metrics (see jupyter_easymaker.runtime.evaluation)."""
import sys

from jupyter_easymaker.runtime.evaluation import main

if __name__ == "__main__":
    sys.exit(main())
