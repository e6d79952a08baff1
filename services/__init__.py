"""gc-hub's server side: the core (no web, queue or docker imports), web services and workers."""
