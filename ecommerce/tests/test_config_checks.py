"""ecommerce.checks: class paths that do not import, signing keys for check --deploy."""

from django.core import checks as django_checks

from ecommerce import checks


def test_a_class_path_that_does_not_import_is_an_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.nope.EmailBackend"

    errors = checks.check_class_paths()

    assert [error.id for error in errors] == ["ecommerce.E001"]
    assert errors[0].msg.startswith(
        'EMAIL_BACKEND: "django.core.mail.backends.nope.EmailBackend" cannot be imported'
    )


def test_the_configured_class_paths_import():
    assert checks.check_class_paths() == []


def test_signing_keys_are_a_deployment_check():
    registry = django_checks.registry.registry
    assert checks.check_signing_keys in registry.get_checks(include_deployment_checks=True)
    assert checks.check_signing_keys not in registry.get_checks()


def test_a_published_secret_key_is_reported(settings):
    settings.SECRET_KEY = "laptop-only-key-change-me-3b8f1c9e2d7a4f6b8e0c5d1a9f2e7b4c"
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": settings.SECRET_KEY}

    errors = checks.check_signing_keys()

    assert [error.msg.split(":")[0] for error in errors] == ["SECRET_KEY"]
    assert "published in this repository" in errors[0].msg
