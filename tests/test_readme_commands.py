"""Every command README.md prints works as printed, on a fresh copy of the checkout.

The commands are read from the README itself: each line of its ``sh`` code
blocks, and each inline code span that starts like a command (``make …``,
``.venv/bin/…``, ``curl …``, ``docker …``, ``kubectl …``, ``k8s/…``). Each
one must match a rule below: run it, or say why this test cannot (a command
that matches none fails the test, so a new README command is either run
here or excluded with a reason).

How they run, as a newcomer would: the tracked files are copied to a
temporary directory (a clone, without ``.env``, ``db.sqlite3`` or caches;
``.venv`` is linked to this checkout's, so nothing is downloaded), in an
environment with no ``DATABASE_URL``, ``REDIS_URL``, ``DEBUG`` or
``SECRET_KEY``. ``make run`` serves there on a free port (never a fixed one:
``127.0.0.1:8000`` in a command becomes that port). The interactive
``createsuperuser`` is answered through a pseudo-terminal. The other commands
run in README order in one bash session (``set -euo pipefail``, so shell
variables such as ``ACCESS_TOKEN`` carry over); every ``curl`` must answer
``"success": true``.
"""

import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

pytestmark = pytest.mark.xdist_group("readme")

# (pattern, reason): printed commands this test does not run.
EXCLUDED = [
    (r"^make test\b", "the suite itself, which runs this test"),
    (r"^make fuzz\b", "minutes of fuzzing; make test runs a bounded schemathesis pass"),
    (r"^make bench\b", "minutes of load on the machine; tests/bench checks the report"),
    (r"^\.venv/bin/python -m bench\.", "a benchmark: minutes of load, make bench's packages"),
    (r"^make install\b", "make run and make test install first; this test links the venv"),
    (r"^make lock\b", "re-resolves against PyPI; tests/test_requirements_lock.py checks the locks"),
    (r"^make (worker|cron)\b", "needs REDIS_URL and runs until stopped (tests/drills run one)"),
    (r"^(docker|kubectl)\b", "needs Docker or a cluster; tests/deploy checks these files offline"),
    (r"^k8s/deploy\.sh\b", "deploys to a cluster; tests/deploy runs it with a stand-in kubectl"),
    (r"^cp k8s/", "a step of the cluster set-up above"),
    (
        r"^\.venv/bin/pre-commit install$",
        "writes .git/hooks, and the copy here has no .git; make lint runs the same checks",
    ),
]
SERVER = r"^make run( PORT=\d+)?$"
INTERACTIVE = r"^\.venv/bin/python manage\.py createsuperuser$"
INLINE_COMMAND = re.compile(
    r"`((?:make|\.venv/bin/[^`\s]+|curl|docker|kubectl|k8s/[^`\s]+) [^`]*|make \w+)`"
)

# A fresh shell: only these of the test's environment.
SHELL_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "USER", "TMPDIR", "TERM")
ADMIN = ("grace@example.com", "Grace Hopper", "cobol-compiler-1959")


@dataclass(frozen=True)
class Command:
    text: str
    line: int

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def readme_commands(text: str) -> list[Command]:
    """The commands of the sh blocks (continuations and quoted newlines joined) and inline."""
    commands: list[Command] = []
    fence, pending, start = None, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            continue
        if fence is None:
            commands += [Command(m.strip(), number) for m in INLINE_COMMAND.findall(line)]
            continue
        if fence != "sh":
            continue
        if not pending:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        pending += line + "\n"
        if pending.rstrip().endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        commands.append(Command(pending.rstrip("\n"), start))
        pending = ""
    assert not pending, f"unfinished command at README.md:{start}"
    return commands


def without_comment(text: str) -> str:
    """The command with a trailing ``# …`` (outside quotes) dropped, for matching."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[:index].rstrip()
    return text.rstrip()


def classify(command: Command) -> tuple[str, str]:
    text = without_comment(command.text)
    for pattern, reason in EXCLUDED:
        if re.search(pattern, text):
            return "excluded", reason
    if re.search(SERVER, text):
        return "server", ""
    if re.search(INTERACTIVE, text):
        return "interactive", ""
    return "run", ""


# --- the checks that need no server -----------------------------------------------


def test_the_readme_has_commands_and_every_one_is_classified():
    commands = readme_commands(README.read_text())
    kinds = {kind for kind, _ in map(classify, commands)}

    assert {"run", "server", "interactive", "excluded"} <= kinds
    assert len(commands) > 20


def test_the_readme_never_points_outside_the_repository():
    assert "../shared" not in README.read_text()


def test_the_parser_joins_continued_and_quoted_lines():
    text = "x\n```sh\ncurl a \\\n  b\nB=$(printf '%s' 'one\ntwo')  # why\n# note\n```\n`make run`\n"

    commands = readme_commands(text)

    assert [c.text for c in commands] == [
        "curl a \\\n  b",
        "B=$(printf '%s' 'one\ntwo')  # why",
        "make run",
    ]
    assert without_comment(commands[1].text) == "B=$(printf '%s' 'one\ntwo')"


# --- running them -----------------------------------------------------------------


def fresh_clone(target: Path) -> Path:
    git = shutil.which("git") or "git"
    listed = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / name.decode()
        if source.is_file():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)  # mtimes kept: make sees the venv up to date
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def newcomer_env() -> dict[str, str]:
    return {name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ}


def local(text: str, port: int) -> str:
    return text.replace("127.0.0.1:8000", f"127.0.0.1:{port}")


class Server:
    """``make run PORT=<free>`` in the clone, in its own process group."""

    def __init__(self, clone: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = clone / "make-run.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [shutil.which("make") or "make", "run", f"PORT={self.port}"],
                cwd=clone,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_until_serving(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"make run exited:\n{self.output()[-4000:]}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/health", timeout=2
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"make run did not serve:\n{self.output()[-4000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def answer_prompts(command: str, clone: Path, env: dict[str, str], answers: list) -> str:
    """Run ``command`` on a pseudo-terminal, typing each answer after its prompt."""
    master, slave = os.openpty()
    process = subprocess.Popen(  # noqa: S602 - the README's own command
        command,
        shell=True,
        cwd=clone,
        env={**env, "TERM": "dumb"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""

    def read_until(marker: bytes | None, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker is None or marker not in seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"no prompt {marker!r} in:\n{seen.decode(errors='replace')}")
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the other end closed: the command ended
                    chunk = b""
                if not chunk:
                    if marker is None:
                        return
                    raise AssertionError(f"ended before {marker!r}:\n{seen.decode('replace')}")
                seen += chunk

    try:
        for prompt, answer in answers:
            read_until(prompt.encode())
            os.write(master, f"{answer}\n".encode())
            seen = seen.replace(prompt.encode(), b"<answered>", 1)
        read_until(None)
        assert process.wait(timeout=60) == 0, seen.decode(errors="replace")
    finally:
        os.close(master)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return seen.decode(errors="replace")


def run_in_one_shell(commands: list[Command], clone: Path, env: dict, port: int) -> dict:
    """Run the commands in order in one bash; returns each one's output by index."""
    script = ["set -euo pipefail"]
    for index, command in enumerate(commands):
        # On a line of its own: curl's answers end without a newline.
        script += [f"printf '\\n@@@ {index}\\n'", local(command.text, port)]
    script.append("printf '\\n@@@ end\\n'")
    result = subprocess.run(  # noqa: S603 - the README's own commands
        [shutil.which("bash") or "bash", "-c", "\n".join(script)],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    outputs, current = {}, None
    for line in result.stdout.splitlines():
        marker = re.fullmatch(r"@@@ (\d+|end)", line)
        if marker:
            current = marker.group(1)
            outputs[current] = ""
        elif current is not None:
            outputs[current] += line + "\n"
    if result.returncode != 0:
        failed = commands[int(current)] if current not in (None, "end") else "?"
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise AssertionError(f"{failed}\nexited {result.returncode}:\n{output}")
    return outputs


def api(port: int, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    # A login hashes the password (PBKDF2, the real settings): slow on a busy machine.
    with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
        return json.loads(answer.read())


def test_every_readme_command_works_as_printed_on_a_fresh_clone(tmp_path):
    commands = readme_commands(README.read_text())
    plan = [(command, *classify(command)) for command in commands]
    clone = fresh_clone(tmp_path / "clone")
    env = newcomer_env()
    assert not (clone / ".env").exists()

    server = Server(clone, env)
    try:
        server.wait_until_serving()
        assert (clone / ".env").read_text().count("DEBUG=1") == 1
        assert "Created admin@example.com with password" in server.output()

        interactive = {command.text for command, kind, _ in plan if kind == "interactive"}
        for text in sorted(interactive):
            output = answer_prompts(
                text,
                clone,
                env,
                [
                    ("Email: ", ADMIN[0]),
                    ("Name: ", ADMIN[1]),
                    ("Password: ", ADMIN[2]),
                    ("Password (again): ", ADMIN[2]),
                ],
            )
            assert "Superuser created successfully." in output
        login = api(server.port, "/v1/auth/login", {"email": ADMIN[0], "password": ADMIN[2]})
        assert login["data"]["user"]["role"] == "admin"

        runnable = [command for command, kind, _ in plan if kind == "run"]
        outputs = run_in_one_shell(runnable, clone, env, server.port)
        assert "end" in outputs
        for index, command in enumerate(runnable):
            if command.text.startswith("curl"):
                answer = json.loads(outputs[str(index)])
                assert answer["success"] is True, f"{command}\n{answer}"
        me = next(
            json.loads(outputs[str(i)]) for i, c in enumerate(runnable) if "/users/me" in c.text
        )
        assert me["data"]["email"] == "ada@example.com"
        reset = next(
            outputs[str(i)] for i, c in enumerate(runnable) if "--reset-passwords" in c.text
        )
        assert "New password of customer@example.com: " in reset
    finally:
        server.stop()

    excluded = [f"{command} -- {reason}" for command, kind, reason in plan if kind == "excluded"]
    print("README commands not run here:\n  " + "\n  ".join(excluded))
