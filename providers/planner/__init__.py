"""The planner: configuration, repository checks, the octoDNS run, plan rendering, import."""
