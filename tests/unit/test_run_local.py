"""`make run` refuses a web port it cannot serve before starting anything, and says which and why."""

import socket

import pytest
from django.core.management import CommandError, call_command


def test_the_embedded_s3_port_is_refused_as_the_web_port(settings):
    settings.S3_EMBEDDED, settings.S3_PORT = True, 18333
    with pytest.raises(CommandError, match=r"PORT=18333 is the embedded S3 server's port \(S3_PORT\)"):
        call_command("run_local", "--port", "18333", "--skip-demo")


def test_a_port_in_use_is_refused_with_its_number(settings):
    settings.S3_EMBEDDED = False
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=rf"port {port} on 127.0.0.1 is in use .*another PORT"):
            call_command("run_local", "--port", str(port), "--skip-demo")
