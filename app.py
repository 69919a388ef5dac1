"""``flask --app app …`` in a checkout: development unless COOKIECONSENT_ENV says otherwise."""

from cookieconsent import create_app
from cookieconsent.config import ConfigError

try:
    app = create_app(default_env="development")
except ConfigError as error:
    raise SystemExit(f"Error: {error}") from None
