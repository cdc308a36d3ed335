"""Service functions: the business operations that views, the CLI and jobs share."""
