"""``python -m bench.media``: upload-to-ready time of a 12-megapixel JPEG, and the worker's memory.

Production settings (DEBUG off) on BENCH_DATABASE_URL and BENCH_REDIS_URL (as
``make bench``), local media storage in a temporary directory. One
``manage.py rqworker media`` (the project's JobWorker: jobs run in the worker's
own process, so its peak RSS is the rendering's) and, in this process, admin
uploads through the API (Django's test client: the upload's checks,
re-encoding and storage run here). For each run: the time from sending the
upload to the row being ``ready``, and the worker's peak RSS (VmHWM) against
its RSS when idle. Prints a small table; nothing is written to bench/results.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args()

    media_root = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ecommerce.settings",
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecommerce_bench"
            ),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
            "MEDIA_ROOT": media_root,
            "DEBUG": "0",
            "HTTPS_ONLY": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-media-only-" + "x" * 40),
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
            "WHITENOISE_USE_FINDERS": "1",
            "MEDIA_MAX_UPLOAD_BYTES": str(40 * 1024 * 1024),
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "media"],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_idle(worker.pid)
        idle_rss = _status(worker.pid)["VmRSS"]
        photo = _photo(args.width, args.height)
        print(
            f"{args.width}x{args.height} JPEG ({args.width * args.height / 1e6:.1f} MP, "
            f"{len(photo) / 1e6:.1f} MB); worker idle RSS {idle_rss / 1024:.0f} MiB"
        )
        before_uploads = _status(os.getpid())["VmHWM"]
        timings = [_one_upload(photo) for _ in range(args.runs)]
        uploader_peak = _status(os.getpid())["VmHWM"]
        peak = _status(worker.pid)["VmHWM"]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print("run  upload request  upload-to-ready")
    for index, (request_s, ready_s) in enumerate(timings, start=1):
        print(f"{index:>3}  {request_s:>12.2f} s  {ready_s:>13.2f} s")
    print(
        f"median upload-to-ready {statistics.median(t[1] for t in timings):.2f} s; "
        f"worker peak RSS {peak / 1024:.0f} MiB (+{(peak - idle_rss) / 1024:.0f} MiB over idle); "
        f"the uploading process (a web worker's share) peaked "
        f"+{(uploader_peak - before_uploads) / 1024:.0f} MiB"
    )


def _one_upload(photo: bytes) -> tuple[float, float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    from accounts.tests.factories import AdminFactory
    from accounts.tokens import token_pair_issue
    from catalog.media.models import ProductMedia
    from catalog.tests.factories import ProductFactory

    run = uuid.uuid4().hex[:12]
    admin = AdminFactory(email=f"bench-media-{run}@example.com")
    product = ProductFactory(name=f"Bench media {run}", slug=f"bench-media-{run}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=admin).access}")
    started = time.perf_counter()
    response = client.post(
        f"/v1/products/{product.slug}/media",
        {"file": SimpleUploadedFile("photo.jpg", photo, content_type="image/jpeg")},
        format="multipart",
    )
    answered = time.perf_counter()
    if response.status_code != 201:
        raise SystemExit(f"upload refused: {response.status_code} {response.content[:300]!r}")
    media_id = response.json()["data"]["id"].removeprefix("img_")
    while True:
        status = ProductMedia.objects.filter(pk=media_id).values_list("status", flat=True)[0]
        if status != ProductMedia.Status.PROCESSING:
            break
        if time.perf_counter() - started > 300:
            raise SystemExit("the renditions job did not finish in 300 s (is the worker up?)")
        time.sleep(0.02)
    if status != ProductMedia.Status.READY:
        raise SystemExit(f"the media ended {status}")
    return answered - started, time.perf_counter() - started


def _photo(width: int, height: int) -> bytes:
    """A camera-like JPEG: smooth gradients plus sensor noise (compresses like a photo)."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])  # kB
    return fields


def _wait_idle(pid: int) -> None:
    # The worker has imported Django and the app once its RSS stops growing.
    last, stable = 0, 0
    for _ in range(600):
        rss = _status(pid)["VmRSS"]
        stable = stable + 1 if rss == last else 0
        if stable >= 10:
            return
        last = rss
        time.sleep(0.1)


if __name__ == "__main__":
    main()
