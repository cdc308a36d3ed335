"""Blueprints: thin views that call service functions and render templates."""
