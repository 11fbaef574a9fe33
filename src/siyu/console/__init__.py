"""The web console: server-rendered pages, one router module per page under `pages/`."""
