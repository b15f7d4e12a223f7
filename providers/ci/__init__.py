"""CI glue: the pull-request comment."""
