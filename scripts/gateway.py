"""Render the local gateway's nginx configuration from the services' ports.

Usage: python -m scripts.gateway PREFIX_DIR LISTEN_PORT  (service ports from HUB_<SERVICE>_PORT)
"""

import os
import sys
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "nginx" / "local.conf.template"
DEFAULT_PORTS = {"ingest": 8001, "inbox": 8002, "contacts": 8003, "notify": 8004, "solicit": 8005}


def render(prefix: Path, listen_port: int, ports: dict[str, int]) -> Path:
    """Write `nginx.conf` under `prefix` (with its temp folders) and return its path."""
    prefix.mkdir(parents=True, exist_ok=True)
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / folder).mkdir(exist_ok=True)
    values = {f"{name}_port": port for name, port in ports.items()}
    text = Template(TEMPLATE.read_text()).substitute(
        values,
        prefix=str(prefix),
        listen_port=listen_port,
        # As root, nginx's workers would drop to `nobody` and could not write the temp folders here.
        user_directive="user root;" if os.geteuid() == 0 else "",
    )
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


def main() -> None:
    prefix, listen = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    ports = {name: int(os.environ.get(f"HUB_{name.upper()}_PORT", port)) for name, port in DEFAULT_PORTS.items()}
    print(render(prefix, listen, ports))


if __name__ == "__main__":
    main()
