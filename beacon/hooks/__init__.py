"""Agent hooks: `beacon-hooks` (the command runtimes run), its local path and spool, and the
collector's HTTP hook intake.

Nothing is imported here: `beacon-hooks` starts on every tool call of every agent, and its
start-up time is the agent's waiting time.
"""
