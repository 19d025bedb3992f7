"""deploy/nginx.conf: valid for Debian's nginx, balances on the workshop, carries WebSockets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.scale.cluster import NGINX_CONF, Nginx

pytestmark = pytest.mark.services


def test_the_shipped_config_balances_on_the_workshop_not_the_address():
    conf = NGINX_CONF.read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert re.search(r"map \$arg_ws \$facilitator_hash_key", code)
    assert re.search(r"hash \$facilitator_hash_key consistent;", code)
    assert "remote_addr" not in code and "ip_hash" not in code
    socket_io = code.split("location /socket.io/", 1)[1]
    assert "proxy_set_header Upgrade $http_upgrade;" in socket_io
    assert "proxy_http_version 1.1;" in socket_io
    assert "proxy_buffering off;" in socket_io  # long-polling answers must not wait in a buffer


def test_nginx_accepts_the_config(nginx_ok: None, tmp_path: Path):
    nginx = Nginx(tmp_path, ["127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"])
    assert "test is successful" in nginx.check()
