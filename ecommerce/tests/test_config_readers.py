"""ecommerce.config's readers, one value at a time, and load() on whole environments."""

import secrets

import pytest

from ecommerce import config
from ecommerce.config import (
    Bind,
    Boolean,
    Cidr,
    DatabaseUrl,
    DottedPath,
    Duration,
    Email,
    FilePath,
    Host,
    Integer,
    Invalid,
    IpAddress,
    ListOf,
    Origin,
    Rate,
    Secret,
    Size,
    Text,
    Url,
    Word,
)

KEY = secrets.token_urlsafe(50)


TAKEN = [
    (Boolean(), "ON", True),
    (Boolean(), " yes ", True),
    (Boolean(), "False", False),
    (Boolean(), "0", False),
    (Integer(0, 10), "7", 7),
    (Integer(), " 0 ", 0),
    (Duration(), "900", 900),
    (Duration(), "900s", 900),
    (Duration(), "15m", 900),
    (Duration(), "2 hours", 7200),
    (Duration(), "14 days", 1209600),
    (Duration(), "1.5h", 5400),
    (Duration(whole=False), "500ms", 0.5),
    (Duration(whole=False), "0.25", 0.25),
    (Duration(unit="ms"), "2s", 2000),
    (Duration(unit="ms"), "250", 250),
    (Size(), "1048576", 1048576),
    (Size(), "1MiB", 1048576),
    (Size(), "1 MB", 1000000),
    (Size(), "512kib", 524288),
    (Rate(), " 20 / Minutes ", "20 / Minutes"),
    (Rate(), "5/s", "5/s"),
    (Word("debug", "info"), "INFO", "info"),
    (Word("sync", or_dotted_path=True), "my.workers.Worker", "my.workers.Worker"),
    (Text(), "any text at all", "any text at all"),
    (Text(), "", ""),
    (Secret(), KEY, KEY),
    (Url(("redis", "rediss", "unix"), empty=True), "", ""),
    (
        Url(("redis", "rediss", "unix")),
        "rediss://:pw@cache:6380/2",
        "rediss://:pw@cache:6380/2",
    ),
    (Url(("redis", "unix")), "unix:///run/redis.sock", "unix:///run/redis.sock"),
    (Cidr(), "10.0.0.0/8", "10.0.0.0/8"),
    (Cidr(), "10.1.2.3", "10.1.2.3/32"),
    (Cidr(), "fd00::/8", "fd00::/8"),
    (IpAddress(star=True), "*", "*"),
    (Host(patterns=True), ".example.com", ".example.com"),
    (Host(patterns=True), "[::1]", "[::1]"),
    (Host(patterns=True), "*", "*"),
    (Host(), "smtp.example.com", "smtp.example.com"),
    (Origin(wildcard=True), "https://*.example.com", "https://*.example.com"),
    (Origin(), "http://localhost:3000/", "http://localhost:3000"),
    (DottedPath(), "payments.gateway.SimulatedGateway", "payments.gateway.SimulatedGateway"),
    (DottedPath(or_name="a short name"), "Simulated", "simulated"),
    (DottedPath(module=True), "ecommerce.settings", "ecommerce.settings"),
    (FilePath(dash=True, parent_exists=True), "-", "-"),
    (FilePath(dash=True, parent_exists=True), "/dev/null", "/dev/null"),
    (Email(), "Shop <shop@example.com>", "Shop <shop@example.com>"),
    (Email(), "orders@localhost", "orders@localhost"),
    (Bind(), "0.0.0.0:8000", "0.0.0.0:8000"),
    (Bind(), "[::]:8000", "[::]:8000"),
    (Bind(), "unix:/run/gunicorn.sock", "unix:/run/gunicorn.sock"),
    (ListOf(Duration(), empty=False), "5, 30s,2m", [5, 30, 120]),
    (ListOf(Word("a", "b"), spaces=True), "a b,A", ["a", "b", "a"]),
    (ListOf(Cidr()), "", []),
]


def _ids(cases: list[tuple]) -> list[str]:
    """Stable ids (KEY is random per run; xdist workers must collect the same tests)."""
    return [f"{type(case[0]).__name__}-{index}" for index, case in enumerate(cases)]


@pytest.mark.parametrize(("reader", "text", "value"), TAKEN, ids=_ids(TAKEN))
def test_a_reader_takes_what_it_documents(reader, text, value):
    assert reader.parse(text) == value


REFUSED = [
    (Boolean(), "maybe"),
    (Boolean(), ""),
    (Integer(1, 10), "0"),
    (Integer(1, 10), "11"),
    (Integer(), "1.5"),
    (Integer(), "ten"),
    (Duration(10), "5s"),
    (Duration(), "-1"),
    (Duration(), "1.5"),
    (Duration(), "soon"),
    (Duration(), "5 fortnights"),
    (Duration(unit="ms", high=60_000), "2m"),
    (Size(), "1.5"),
    (Size(1024), "1KB"),
    (Size(), "1TB"),
    (Rate(), "1000"),
    (Rate(), "0/hour"),
    (Rate(), "10/fortnight"),
    (Word("debug", "info"), "loud"),
    (Word("sync", or_dotted_path=True), "gevent"),
    (Text(), "two\nlines"),
    (Text(r"[a-z]*", "lower case"), "Upper"),
    (Secret(), f"{KEY}\n"),
    (Secret(), f" {KEY}"),
    (Url(("redis",)), ""),
    (Url(("redis",)), "http://cache:6379"),
    (Url(("redis",)), "redis://cache:port/0"),
    (Url(("redis",)), "redis://"),
    (Url(contains="{token}"), "https://shop.example.com/reset"),
    (DatabaseUrl(), "mysql://shop@db/shop"),
    (DatabaseUrl(), "postgres://db:abc/shop"),
    (DatabaseUrl(), "postgres://db/"),
    (Cidr(), "10.0.0.0/33"),
    (Cidr(), "nope"),
    (IpAddress(), "10.0.0.0/8"),
    (Host(patterns=True), "https://shop.example.com"),
    (Host(patterns=True), "shop.example.com:8000"),
    (Host(patterns=True), "shop example"),
    (Host(), "*"),
    (Origin(), "shop.example.com"),
    (Origin(), "ftp://shop.example.com"),
    (Origin(), "https://shop.example.com/path"),
    (Origin(), "https://*.example.com"),
    (DottedPath(), "NoDots"),
    (DottedPath(), "not a.path"),
    (DottedPath(module=True), "ecommerce.no_such_module"),
    (FilePath(), ""),
    (FilePath(dash=True, parent_exists=True), "/no/such/dir/file.log"),
    (Email(), "shop at example.com"),
    (Email(), "shop@"),
    (Bind(), "0.0.0.0"),  # noqa: S104 - a value read, not bound
    (Bind(), "0.0.0.0:70000"),
    (ListOf(Duration(), empty=False), ""),
    (ListOf(Word("a")), "a,b"),
]


@pytest.mark.parametrize(("reader", "text"), REFUSED, ids=_ids(REFUSED))
def test_a_reader_refuses_what_it_does_not_document(reader, text):
    with pytest.raises(Invalid):
        reader.parse(text)


@pytest.mark.parametrize("variable", config.VARIABLES, ids=lambda v: v.name)
def test_every_default_reads_and_every_bad_example_is_refused(variable):
    env = {"DEBUG": "on"}
    assert variable.name in config.load(env)
    if variable.name == "PAYMENT_GATEWAY":
        return  # well-formed: refused once the apps load (test_config_bad_values)
    with pytest.raises(config.ConfigError) as refused:
        config.load({**env, variable.name: variable.bad_value})
    assert [line.split(":")[0] for line in refused.value.lines] == [variable.name]


def test_an_empty_value_is_unset_unless_empty_means_something():
    values = config.load(
        {"DEBUG": "", "SECRET_KEY": KEY, "LOG_LEVEL": "", "METRICS_ALLOWED_NETWORKS": ""}
    )
    assert values.DEBUG is False
    assert values.LOG_LEVEL == "info"
    assert values.METRICS_ALLOWED_NETWORKS == []
    assert values.is_set("METRICS_ALLOWED_NETWORKS")
    assert not values.is_set("RATE_LIMIT")


def test_values_are_reached_by_attribute_and_a_typo_says_so():
    values = config.load({"DEBUG": "1"})
    assert values.PORT == values["PORT"] == 8000
    with pytest.raises(AttributeError, match="POTR is not declared"):
        _ = values.POTR


def test_every_problem_is_one_line_even_for_a_value_with_line_breaks():
    with pytest.raises(config.ConfigError) as refused:
        config.load({"DEBUG": "1", "EMAIL_HOST_USER": "a\nb", "LOG_FORMAT": "x" * 500})
    assert len(refused.value.lines) == 2
    assert all("\n" not in line and len(line) < 300 for line in refused.value.lines)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({}, "SECRET_KEY: is not set and DEBUG is off"),
        ({"SECRET_KEY": config.DEV_SECRET_KEY}, "SECRET_KEY: is a key published"),
        ({"SECRET_KEY": "a" * 40}, "SECRET_KEY: is not random"),
        ({"SECRET_KEY": KEY, "JWT_SIGNING_KEY": ""}, "JWT_SIGNING_KEY: is empty and DEBUG is off"),
        ({"SECRET_KEY": KEY, "JWT_SIGNING_KEY": "x" * 8 + "yz12"}, "JWT_SIGNING_KEY: is too short"),
        (
            {"SECRET_KEY": KEY, "JWT_ACCESS_LIFETIME": "1d", "JWT_REFRESH_LIFETIME": "1h"},
            "JWT_ACCESS_LIFETIME: 86400 s is not shorter than JWT_REFRESH_LIFETIME",
        ),
    ],
)
def test_values_that_cannot_work_together_are_refused(env, line):
    with pytest.raises(config.ConfigError) as refused:
        config.load(env)
    assert refused.value.lines[0].startswith(line), refused.value.lines


def test_with_debug_on_the_development_key_signs_and_an_empty_jwt_key_falls_back():
    values = config.load({"DEBUG": "1", "JWT_SIGNING_KEY": ""})
    assert values.SECRET_KEY == config.DEV_SECRET_KEY
    assert values.JWT_SIGNING_KEY == ""  # settings: "" or SECRET_KEY


def test_a_secret_is_never_shown():
    with pytest.raises(config.ConfigError) as refused:
        config.load({"DEBUG": "1", "METRICS_TOKEN": " token-with-a-space"})
    assert "token-with-a-space" not in refused.value.lines[0]
    assert "(secret, 19 characters)" in refused.value.lines[0]
