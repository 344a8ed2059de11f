"""System checks of the configuration that need Django's apps loaded.

What ecommerce.config can check from the text alone it refuses before
Django starts; these look further:

- ``ecommerce.E001``: a variable naming a class (``EMAIL_BACKEND``,
  ``RQ_WORKER_CLASS``, any ``DottedPath`` variable) that does not import.
  Imported here, not in ecommerce.config, because importing an app's class
  before the apps are loaded could fail for the wrong reason.
  EcommerceConfig.ready() runs this check and refuses to start on it.
- ``ecommerce.E002`` (``check --deploy``): a signing key (``SECRET_KEY``, or
  ``JWT_SIGNING_KEY`` when it differs) that is short or published in this
  repository. With DEBUG off the process already refused to start; this
  reports the same for a configuration checked with DEBUG on.
- ``ecommerce.admin.E408``... and ``ecommerce.security.W003``... (the latter
  with ``check --deploy``): Django's own middleware checks, run on MIDDLEWARE
  with ecommerce.path_scoped_middleware's block expanded.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

from ecommerce import config, path_scoped_middleware


def _class_paths() -> dict[str, str]:
    """Variable -> the class path in use: the setting of that name, else as read."""
    values = None
    paths = {}
    for variable in config.VARIABLES:
        reader = variable.reader
        if not isinstance(reader, config.DottedPath) or reader.module or reader.or_name:
            continue
        if hasattr(settings, variable.name):
            paths[variable.name] = getattr(settings, variable.name)
        else:
            values = values or config.load()
            paths[variable.name] = values[variable.name]
    return paths


@register()
def check_class_paths(app_configs=None, **kwargs) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name, path in _class_paths().items():
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(
                Error(
                    f'{name}: "{path}" cannot be imported ({exc}); accepted: the dotted path '
                    "of a class",
                    id="ecommerce.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_signing_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    keys = {"SECRET_KEY": settings.SECRET_KEY}
    if settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY:
        keys["JWT_SIGNING_KEY"] = settings.SIMPLE_JWT["SIGNING_KEY"]
    errors: list[CheckMessage] = []
    for name, key in keys.items():
        if problem := config.signing_key_problem(key):
            errors.append(
                Error(
                    f"{name}: {problem}: whoever reads it can sign sessions and API tokens; "
                    f"accepted: {config.SIGNING_KEY_ACCEPTED}",
                    id="ecommerce.E002",
                )
            )
    return errors


@register(Tags.admin)
def check_scoped_middleware(app_configs=None, **kwargs) -> list[CheckMessage]:
    return path_scoped_middleware.check_scoped_middleware(deploy=False)


@register(Tags.security, deploy=True)
def check_scoped_middleware_deploy(app_configs=None, **kwargs) -> list[CheckMessage]:
    return path_scoped_middleware.check_scoped_middleware(deploy=True)
