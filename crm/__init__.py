"""The Flask app, triage, reports and the command line."""
