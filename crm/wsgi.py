"""The WSGI entry point for gunicorn (see Procfile): settings come from the environment."""

from crm.app import create_app

app = create_app()
