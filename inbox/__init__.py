"""Everything that talks to networks: connectors, the sync pipeline, webhooks and jobs."""
