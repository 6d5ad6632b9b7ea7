"""Job entry: LLM fine-tuning (see jupyter_easymaker.runtime.llm.finetune)."""
import sys

from jupyter_easymaker.runtime.llm.finetune import main

if __name__ == "__main__":
    sys.exit(main())
