"""The WSGI entry point for gunicorn (see Procfile): settings come from the environment."""

from crm.app import create_app, settle_for_serving

app = create_app()
settle_for_serving()
