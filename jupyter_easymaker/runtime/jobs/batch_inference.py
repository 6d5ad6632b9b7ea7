"""Job entry: batch inference (see jupyter_easymaker.runtime.batch_inference)."""
import sys

from jupyter_easymaker.runtime.batch_inference import main

if __name__ == "__main__":  # the pods' worker processes import this file again (spawn)
    sys.exit(main())
