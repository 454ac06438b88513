# One image for every service; compose and Kubernetes pick the service with the command
# (`python -m services.<name>`), the default being ingest.
#
# Two stages: the first installs uv and the locked runtime dependencies into /opt/venv, the second
# copies only that venv and the code, so neither uv, pip's cache nor the dev group ships.

FROM python:3.11-slim AS build

# UV_PYTHON_DOWNLOADS=never: use the image's CPython 3.11 (the venv links to it, and the runtime stage
# has the same one), never a downloaded interpreter.
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock ./
# --frozen: install exactly uv.lock; the project itself is not a package (`package = false`).
RUN uv sync --frozen --no-dev --no-install-project


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH"

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
COPY shared ./shared
COPY services ./services

# The code and the venv stay owned by root: the service user can run them, not change them.
RUN useradd --system --no-create-home --uid 10001 hub
USER hub

# HTTP: ingest 8001, inbox 8002, contacts 8003, notify 8004, solicit 8005, faqbot 8006 (HUB_<SERVICE>_PORT);
# SMTP in: ingest 2525 (HUB_INGEST_SMTP_PORT; an unprivileged port, published as 25 by compose or a Service).
EXPOSE 8001 8002 8003 8004 8005 8006 2525
CMD ["python", "-m", "services.ingest"]
