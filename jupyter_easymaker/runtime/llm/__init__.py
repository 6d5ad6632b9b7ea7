"""The LLM fine-tuning job's code (runs inside jobs; never imported by the server)."""
