"""Resource kinds, their statuses and state machines, and validation rules."""
