"""Bad uploads: each gets the contract's 4xx in the envelope, and nothing is stored."""

import http.server
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from catalog.media.models import ProductMedia
from catalog.media.tests.support import (
    HTML,
    SVG,
    corrupt_png,
    gif_bytes,
    jpeg_bytes,
    png_claiming_size,
    truncated_jpeg,
)
from catalog.tests.factories import ProductFactory
from ecommerce.api.ids import public_id

pytestmark = pytest.mark.django_db


def _url(product) -> str:
    return f"/v1/products/{public_id('prod', product.pk)}/media"


def _assert_refused(response, status: int, code: str, media_files) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert ProductMedia.objects.count() == 0
    assert media_files() == []
    return body["error"]


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        pytest.param(corrupt_png(), "broken.png", 400, "validation_error", id="corrupt"),
        pytest.param(truncated_jpeg(), "half.jpg", 400, "validation_error", id="truncated-jpeg"),
        pytest.param(
            png_claiming_size(50_000, 50_000),
            "bomb.png",
            400,
            "validation_error",
            id="50000x50000-png",
        ),
        pytest.param(gif_bytes(), "anim.gif", 415, "unsupported_media_type", id="gif"),
        pytest.param(
            b"just some words\n" * 20, "notes.txt", 415, "unsupported_media_type", id="text"
        ),
        pytest.param(SVG, "photo.jpg", 415, "unsupported_media_type", id="svg-renamed-jpg"),
        pytest.param(HTML, "photo.jpg", 415, "unsupported_media_type", id="html-renamed-jpg"),
        pytest.param(
            b"\xff\xd8\xff" + b"\x00" * 200,
            "junk.jpg",
            400,
            "validation_error",
            id="jpeg-signature-then-junk",
        ),
    ],
)
def test_bad_file_is_refused_and_nothing_stored(
    upload, product, media_files, data, name, status, code
):
    error = _assert_refused(
        upload(product, data, name=name, content_type="image/jpeg"), status, code, media_files
    )
    assert set(error["details"]) == {"file"}


def test_zero_byte_upload_is_a_validation_error(upload, product, media_files):
    error = _assert_refused(upload(product, b""), 400, "validation_error", media_files)
    assert "file" in error["details"]


def test_missing_file_field_is_a_validation_error(admin_client_api, product, media_files):
    response = admin_client_api.post(_url(product), {"alt": "no file"}, format="multipart")
    error = _assert_refused(response, 400, "validation_error", media_files)
    assert error["details"]["file"] == ["No file was submitted."]


def test_upload_to_a_removed_product_is_not_found(upload, media_files):
    product = ProductFactory(deleted_at=timezone.now())
    _assert_refused(upload(product, jpeg_bytes()), 404, "not_found", media_files)


def test_upload_to_an_unknown_product_is_not_found(admin_client_api, media_files):
    response = admin_client_api.post(
        "/v1/products/no-such-thing/media",
        {"file": SimpleUploadedFile("a.jpg", jpeg_bytes())},
        format="multipart",
    )
    _assert_refused(response, 404, "not_found", media_files)


def test_pixels_over_the_limit_are_refused_below_pillows_own_error(
    upload, product, media_files, settings
):
    # 150 x 100 = 15,000 pixels: over the limit, under twice it (where Pillow
    # would only warn).
    settings.MEDIA_MAX_PIXELS = 10_000
    error = _assert_refused(
        upload(product, jpeg_bytes((150, 100))), 400, "validation_error", media_files
    )
    assert "10000 pixels" in error["details"]["file"][0]


def test_json_body_is_unsupported_media_type(admin_client_api, product, media_files):
    response = admin_client_api.post(_url(product), {"file": "x"}, format="json")
    _assert_refused(response, 415, "unsupported_media_type", media_files)


def test_unknown_field_is_refused(upload, product, media_files):
    error = _assert_refused(
        upload(product, jpeg_bytes(), url="x"), 400, "validation_error", media_files
    )
    assert error["details"] == {"url": ["Unknown field."]}


@pytest.mark.parametrize(("client_name", "status"), [("api_client", 401), ("customer_client", 403)])
def test_uploads_are_admin_only(request, upload, product, media_files, client_name, status):
    client = request.getfixturevalue(client_name)
    response = upload(product, jpeg_bytes(), client=client)
    code = "not_authenticated" if status == 401 else "permission_denied"
    _assert_refused(response, status, code, media_files)


# --- sizes ------------------------------------------------------------------------


class _CountingPayload:
    """A request body that counts what the server reads of it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size is None or size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def _multipart(data: bytes) -> bytes:
    return encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.jpg", data)})


def test_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    admin_client_api, product, media_files, settings
):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100_000
    body = _CountingPayload(_multipart(jpeg_bytes()))
    response = admin_client_api.generic(
        "POST",
        _url(product),
        data=b"",
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        **{"wsgi.input": body},
    )
    _assert_refused(response, 413, "payload_too_large", media_files)
    assert body.position == 0


def test_file_over_the_limit_is_cut_off_as_it_streams(
    admin_client_api, product, media_files, settings
):
    # Declared length within limit + multipart overhead, the file itself over the limit.
    settings.MEDIA_MAX_UPLOAD_BYTES = 100_000
    data = b"\xff\xd8\xff" + bytes(range(256)) * 600  # 153,603 bytes
    payload = _multipart(data)
    body = _CountingPayload(payload)
    response = admin_client_api.generic(
        "POST",
        _url(product),
        data=b"",
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(payload)),
        **{"wsgi.input": body},
    )
    _assert_refused(response, 413, "payload_too_large", media_files)
    assert body.position < len(payload)


def test_file_at_the_limit_is_accepted(upload, product, settings):
    data = jpeg_bytes()
    settings.MEDIA_MAX_UPLOAD_BYTES = len(data)
    assert upload(product, data).status_code == 201


# --- no SSRF -------------------------------------------------------------------------


@pytest.fixture
def canary():
    """A loopback HTTP server that counts the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(jpeg_bytes())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/photo.jpg", hits
    server.shutdown()
    server.server_close()


def test_a_url_given_as_file_is_never_fetched(admin_client_api, product, media_files, canary):
    url, hits = canary
    response = admin_client_api.post(_url(product), {"file": url}, format="multipart")
    _assert_refused(response, 400, "validation_error", media_files)
    assert hits == []
