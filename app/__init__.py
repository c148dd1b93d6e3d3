"""The HTTP service: settings, sessions, the program language and routes."""
