"""Settings of the `forms` benchmark's server: Torget's own, with `bench._forms_urls` as the
URLconf (Torget's URLs plus the baseline view, which is never in the product's URLs)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._forms_urls"
