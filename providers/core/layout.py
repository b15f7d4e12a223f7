"""Where things are in a repository, relative to its root (declared once)."""

#: the embedded default (no credentials needed) and the production config
DEFAULT_CONFIG = "config/local.yaml"
PRODUCTION_CONFIG = "config/octodns.yaml"
