"""GET /metrics: who may read it, and what it tells about requests, queues and the cache."""

import django_rq
import pytest
from django.core.exceptions import ImproperlyConfigured
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


def failing_job() -> None:
    raise RuntimeError("this job fails on purpose")


def noop_job() -> None:
    return None


def _samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _scrape(api_client, **extra):
    response = api_client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return _samples(response)


def test_loopback_caller_reads_metrics_without_token(api_client):
    response = api_client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b"django_http_requests_latency_seconds_by_view_method" in response.content


def test_ipv4_mapped_loopback_is_loopback(api_client):
    response = api_client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1")
    assert response.status_code == 200


def test_caller_outside_allowed_networks_is_refused_in_envelope(api_client):
    response = api_client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": {"code": "permission_denied", "message": "Metrics are not public.", "details": {}},
    }


def test_proxied_request_from_loopback_needs_the_token(api_client):
    """Behind the ingress REMOTE_ADDR is the proxy's: the network proves nothing."""
    response = api_client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.status_code == 403


def test_configured_network_is_allowed(api_client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert api_client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert api_client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_token_opens_metrics_from_anywhere(api_client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = api_client.get(
        "/metrics",
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert response.status_code == 200


def test_wrong_token_is_refused(api_client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = api_client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer not-the-token"
    )
    assert response.status_code == 403


def test_empty_token_setting_never_matches_an_empty_bearer(api_client, settings):
    settings.METRICS_TOKEN = ""
    response = api_client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_invalid_allowed_network_is_a_configuration_error(api_client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["not-a-network"]
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        api_client.get("/metrics", REMOTE_ADDR="10.1.2.3")


def test_responses_are_counted_by_route_and_status(api_client):
    labels = {"view": "health", "method": "GET", "status": "200"}
    before = _value(
        _scrape(api_client), "django_http_responses_total_by_status_view_method_total", **labels
    )
    api_client.get("/health")
    api_client.get("/health")
    after = _value(
        _scrape(api_client), "django_http_responses_total_by_status_view_method_total", **labels
    )
    assert after - before == 2


def test_unknown_methods_share_one_label(api_client):
    name = "django_http_responses_total_by_status_view_method_total"
    before = _scrape(api_client)
    api_client.generic("BREW", "/health")
    after = _scrape(api_client)
    assert not any(dict(labels).get("method") == "BREW" for _, labels in after)
    labels = {"view": "health", "method": "<invalid method>", "status": "405"}
    assert _value(after, name, **labels) - _value(before, name, **labels) == 1


def test_latency_is_observed_by_route(api_client):
    name = "django_http_requests_latency_seconds_by_view_method_count"
    before = _value(_scrape(api_client), name, view="health", method="GET")
    api_client.get("/health")
    after = _value(_scrape(api_client), name, view="health", method="GET")
    assert after - before == 1


def test_queue_depth_counts_waiting_jobs_per_queue(api_client):
    django_rq.get_queue("payments").enqueue(noop_job)
    django_rq.get_queue("payments").enqueue(noop_job)
    samples = _scrape(api_client)
    assert _value(samples, "rq_up") == 1
    assert _value(samples, "rq_queue_jobs", queue="payments") == 2
    assert _value(samples, "rq_queue_jobs", queue="default") == 0


def test_failed_jobs_are_counted_per_queue(api_client):
    from rq import SimpleWorker

    queue = django_rq.get_queue("emails")
    queue.enqueue(failing_job)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    samples = _scrape(api_client)
    assert _value(samples, "rq_queue_failed_jobs", queue="emails") == 1
    assert _value(samples, "rq_queue_jobs", queue="emails") == 0


def test_unreachable_queue_redis_reports_down_and_metrics_still_answer(api_client, settings):
    settings.RQ_QUEUES = {
        name: {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 300}
        for name in settings.RQ_QUEUE_NAMES
    }
    samples = _scrape(api_client)
    assert _value(samples, "rq_up") == 0
    assert not any(name == "rq_queue_jobs" for name, _ in samples)


def test_cache_lookups_show_as_hits_and_misses(api_client):
    from django.core.cache import cache

    before = _scrape(api_client)
    cache.set("metrics-probe", "1")
    cache.get("metrics-probe")
    cache.get("metrics-probe-absent")
    after = _scrape(api_client)
    hits = "ecommerce_cache_redis_keyspace_hits_total"
    misses = "ecommerce_cache_redis_keyspace_misses_total"
    assert _value(after, hits) > _value(before, hits)
    assert _value(after, misses) > _value(before, misses)


def test_response_cache_hits_and_misses_are_counted_by_view(api_client, make_product):
    product = make_product()
    name = "ecommerce_response_cache_total"
    before = _scrape(api_client)
    outcomes = [
        api_client.get(f"/v1/products/{product.slug}")["X-Cache"],
        api_client.get(f"/v1/products/{product.slug}")["X-Cache"],
        api_client.get("/v1/products?limit=5")["X-Cache"],
    ]
    assert outcomes == ["MISS", "HIT", "MISS"]
    after = _scrape(api_client)

    def delta(view: str, result: str) -> float:
        return _value(after, name, view=view, result=result) - _value(
            before, name, view=view, result=result
        )

    assert delta("product-detail", "miss") == 1
    assert delta("product-detail", "hit") == 1
    assert delta("product-list", "miss") == 1
    assert delta("product-list", "hit") == 0


def test_responses_without_x_cache_are_not_counted(api_client):
    before = _scrape(api_client)
    api_client.get("/health")
    after = _scrape(api_client)
    counted = {key for key in after if key[0] == "ecommerce_response_cache_total"}
    assert all(after[key] == before.get(key, 0.0) for key in counted)
    assert not any(dict(labels).get("view") == "health" for _, labels in counted)


def test_each_status_view_and_cache_result_keeps_its_own_series(api_client, make_product):
    """The middleware remembers each response's series: a second status, or a hit
    after a miss, of the same view must still land in its own series."""
    product = make_product()
    name = "django_http_responses_total_by_status_view_method_total"
    before = _scrape(api_client)
    paths = [f"/v1/products/{product.slug}"] * 3 + ["/v1/products/no-such-product"] * 2
    assert [api_client.get(path).status_code for path in paths] == [200, 200, 200, 404, 404]
    after = _scrape(api_client)

    def delta(metric: str, **labels: str) -> float:
        return _value(after, metric, **labels) - _value(before, metric, **labels)

    assert delta(name, status="200", view="product-detail", method="GET") == 3
    assert delta(name, status="404", view="product-detail", method="GET") == 2
    cache = "ecommerce_response_cache_total"
    assert delta(cache, view="product-detail", result="miss") == 1
    assert delta(cache, view="product-detail", result="hit") == 2
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert delta(latency, view="product-detail", method="GET") == 5
