"""certmatch Slack app: process wiring (config, store, file fetching, Block Kit, entry points)."""
